"""PyTorch reference: from-scratch, device-generic implementations; gradients by autograd."""

BACKEND = "torch"
ERROR_CONTRACT = True  # invalid parameters raise ValueError/TypeError naming parameter, value, range
NAME = "torch"

from impls.torch_ref.augmentation import *  # noqa: E402,F401,F403
from impls.torch_ref.dropout import *  # noqa: E402,F401,F403
from impls.torch_ref.noise import *  # noqa: E402,F401,F403
from impls.torch_ref.normalization import *  # noqa: E402,F401,F403
from impls.torch_ref.penalties import *  # noqa: E402,F401,F403
from impls.torch_ref.shakedrop import *  # noqa: E402,F401,F403
