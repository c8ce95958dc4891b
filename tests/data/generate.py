"""Write the .npy fixtures read by tests/npy.rs.

Run from the repository root:  python tests/data/generate.py
The tests compare what they read against VALUES below.
"""

import numpy as np

VALUES = np.array(
    [
        0.0,
        -0.0,
        1.0,
        -2.5,
        0.1,
        1e-300,
        5e-324,  # smallest positive subnormal
        1.7976931348623157e308,  # largest finite
        np.inf,
        -np.inf,
        np.nan,  # bits 0x7ff8000000000000
    ],
    dtype="<f8",
)

D = "tests/data/"

np.save(D + "float64_le.npy", VALUES)
np.save(D + "float64_be.npy", VALUES.astype(">f8"))
with open(D + "float64_v2.npy", "wb") as f:
    np.lib.format.write_array(f, VALUES, version=(2, 0))
with open(D + "float64_v3.npy", "wb") as f:
    np.lib.format.write_array(f, VALUES, version=(3, 0))
np.save(D + "empty.npy", np.zeros(0, dtype="<f8"))
np.save(D + "float32.npy", np.array([1.0, 2.0], dtype="<f4"))
np.save(D + "int64.npy", np.arange(3, dtype="<i8"))
np.save(D + "two_d.npy", np.arange(6.0).reshape(2, 3))
np.save(D + "scalar.npy", np.float64(3.5))
