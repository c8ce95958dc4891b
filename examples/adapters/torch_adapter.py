#!/usr/bin/env python3
"""PyTorch 2.x through `logloss-proofs conform`: torch.nn.functional's losses.

    logloss-proofs conform --cmd "python examples/adapters/torch_adapter.py"

Convention shown: the documented way, and its NaN is the library's.
F.cross_entropy takes logits and, since 1.10, class probabilities as its
target; for probabilities q the logits passed are ln q (softmax(ln q) = q).
F.kl_div takes the prediction as log-probabilities and the target as
probabilities, with reduction='batchmean' for the mathematical mean over the
batch. Both multiply the target by ln q, so where p = q = 0 they meet
0·(-inf) and answer NaN: that is PyTorch's result, not this file's.
The entropy is torch.special.entr summed over each row, and the gradient
comes from autograd on the reduced loss. Tensors are float64, or float32
when the kit asks for f32.
"""

import torch
import torch.nn.functional as F

from protocol import Unsupported, serve

DTYPE = {"f64": torch.float64, "f32": torch.float32}
dtype = torch.float64

#: The protocol's reductions as F.cross_entropy names them: with probability
#: targets, 'mean' divides the sum by the batch size.
CE_REDUCTION = {"none": "none", "sum": "sum", "batchmean": "mean"}


def start(precision):
    global dtype
    dtype = DTYPE[precision]


def tensor(rows):
    return torch.tensor(rows, dtype=dtype)


def answered(loss):
    """A per-row loss as "values", a reduced one as "value"."""
    return {"values": loss.tolist()} if loss.dim() == 1 else {"value": loss.item()}


def answer(request):
    op, reduction = request["op"], request["reduction"]
    p = tensor(request["p"])
    if op == "entropy":
        h = torch.special.entr(p).sum(dim=1)
        if reduction != "none":
            h = h.sum() if reduction == "sum" else h.mean()
        return answered(h)
    if op == "cross_entropy":
        log_q = torch.log(tensor(request["q"]))
        return answered(F.cross_entropy(log_q, p, reduction=CE_REDUCTION[reduction]))
    if op == "kl_divergence":
        log_q = torch.log(tensor(request["q"]))
        if reduction == "none":  # element-wise terms, summed per row
            return answered(F.kl_div(log_q, p, reduction="none").sum(dim=1))
        return answered(F.kl_div(log_q, p, reduction=reduction))
    if op == "cross_entropy_logits":
        z = tensor(request["logits"])
        return answered(F.cross_entropy(z, p, reduction=CE_REDUCTION[reduction]))
    if op == "cross_entropy_logits_grad":
        z = tensor(request["logits"]).requires_grad_()
        loss = F.cross_entropy(z, p, reduction=CE_REDUCTION[reduction])
        # Under 'none' the gradient is that of the per-row losses' sum.
        (grad,) = torch.autograd.grad(loss.sum(), z)
        return {"values": grad.tolist()}
    raise Unsupported()


serve(answer, start)
