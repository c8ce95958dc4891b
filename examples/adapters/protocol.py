"""The request loop every adapter in this folder shares.

An adapter is only its library mapping: a function `answer(request)` that
returns `{"values": [...]}` or `{"value": x}` computed by the library, and
optionally a `start(precision)` that sets the library up once the precision
is known ("f64" or "f32"). `serve` does the rest of the protocol of
`logloss-proofs conform`: one JSON request per line on stdin, one JSON
response per line on stdout, with the request's id, flushed at once.

- `{"op": "hello", "precision": ...}` comes first from kits that speak
  protocol 2: it fixes the precision and is answered with the adapter's
  declared domain (or none). A kit that sends no hello gets f64.
- `raise Unsupported()` answers `{"error": "unsupported"}`: the library
  does not offer the operation at all.
- `raise UnsupportedCase(reason)` answers `{"error": "unsupported",
  "scope": "case"}`: the library refuses this input (say, a soft target
  where it takes labels only), so the case is skipped and counted.
- Any other exception is the library rejecting a valid input, answered with
  its type and message: a failure of the check that asked.
"""

import json
import sys


class Unsupported(Exception):
    """The library has no call for this operation (at this reduction)."""


class UnsupportedCase(Exception):
    """The library refuses this particular input; other inputs may do."""


def serve(answer, start=None, domain=None):
    """Answers requests from stdin until it closes.

    answer(request) -> dict with "values" or "value"; start(precision) is
    called once, before the first operation; domain is what the adapter
    declares in its hello answer (e.g. {"categories": [2]}), or None.
    """
    precision = None

    def begin(requested):
        nonlocal precision
        if precision is None:
            precision = requested
            if start is not None:
                start(precision)

    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request.get("op") == "hello":
                begin(request.get("precision", "f64"))
                response = {"domain": domain} if domain else {}
            else:
                begin("f64")
                response = answer(request)
        except Unsupported:
            response = {"error": "unsupported"}
        except UnsupportedCase:
            response = {"error": "unsupported", "scope": "case"}
        except Exception as e:  # the library refused a valid input: say so
            response = {"error": f"{type(e).__name__}: {e}"}
        response["id"] = request["id"]
        # json.dumps writes inf and nan as Infinity and NaN, which the kit reads.
        print(json.dumps(response), flush=True)
