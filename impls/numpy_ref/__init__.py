"""NumPy reference: forward and hand-written backward for every regularizer (CS231n layer pattern)."""

BACKEND = "numpy"
ERROR_CONTRACT = True  # invalid parameters raise ValueError/TypeError naming parameter, value, range
NAME = "numpy"

from impls.numpy_ref.augmentation import *  # noqa: E402,F401,F403
from impls.numpy_ref.dropout import *  # noqa: E402,F401,F403
from impls.numpy_ref.noise import *  # noqa: E402,F401,F403
from impls.numpy_ref.normalization import *  # noqa: E402,F401,F403
from impls.numpy_ref.penalties import *  # noqa: E402,F401,F403
from impls.numpy_ref.shakedrop import *  # noqa: E402,F401,F403
