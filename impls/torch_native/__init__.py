"""Adapters to PyTorch's own regularizers, so the suite can judge code no one here wrote."""

BACKEND = "torch"
NAME = "torch-native"

_NONE = "PyTorch has no built-in for it"
_TORCHVISION = "PyTorch has no built-in; torchvision's is checked by the torchvision target"
#: Operations this adapter does not provide, and why: the conformance matrix shows the reason.
NOT_ADAPTED = {
    "dropout_standard": _NONE + " (F.dropout is inverted dropout only)",
    "smooth_labels": _NONE + " (label smoothing exists only inside F.cross_entropy, checked there)",
    "gaussian_dropout": _NONE,
    "dropconnect_linear": _NONE,
    "locked_dropout": _NONE,
    "embedding_dropout": _NONE,
    "stochastic_depth": _TORCHVISION + " (torchvision.ops.stochastic_depth)",
    "stochastic_depth_original": _NONE + " (torchvision's stochastic depth is the inverted rule)",
    "survival_probabilities": _NONE,
    "gaussian_noise": _NONE,
    "dropblock2d": _TORCHVISION + " (torchvision.ops.drop_block2d)",
    "adaptive_dropout": _NONE,
    "shakedrop": _NONE,
    "mixup": _TORCHVISION + " (transforms.v2.MixUp)",
    "cutmix": _TORCHVISION + " (transforms.v2.CutMix)",
    "EarlyStopping": _NONE + " (a training-loop rule; Keras has one, checked by the keras target)",
    "random_hflip": _TORCHVISION, "random_vflip": _TORCHVISION, "random_rot90": _TORCHVISION,
    "random_rotation": _TORCHVISION, "random_scale": _TORCHVISION, "random_crop": _TORCHVISION,
    "color_jitter": _TORCHVISION, "cutout": _TORCHVISION, "random_erasing": _TORCHVISION,
    "random_gaussian_noise": _TORCHVISION,
    "orthogonality_penalty": _NONE,
    "l1_subgradient_step": _NONE + " (torch.optim has no L1 option)",
}

_NO_PENALTY_API = ("PyTorch has no penalty function to validate λ: the adapter composes F.mse_loss/F.l1_loss as "
                   "users write it, and a negative weight turns the penalty into a reward")
#: PyTorch accepts these invalid calls silently (PyTorch 2.13): the suite reports each as a finding.
FINDINGS = {
    # Only where torchvision is installed (it adapts torchvision.transforms.RandomErasing as random_erasing).
    "test_random_erasing_finishes_and_erases_nothing_when_no_box_fits[torch-native-cpu-float32-1x3x1x1]":
        "torchvision.transforms.RandomErasing.get_params accepts a box of side 0 (h = int(round(sqrt(s·H·W·r))) = 0 "
        "passes `h < img_h`) and stops trying: on a 1×1 image it returns the empty box (1, 1, 1, 1) as the erased "
        "region; nothing is erased, but on larger images such a draw ends the ten attempts early, so images are "
        "erased with probability below p",
    "label_smoothing_cross_entropy:epsilon=-0.1": "F.cross_entropy(label_smoothing=-0.1) is computed, no error",
    "label_smoothing_cross_entropy:epsilon=nan": "F.cross_entropy(label_smoothing=nan) treats NaN as 0, no error",
    "l2_penalty:lam=-1.0": _NO_PENALTY_API,
    "l1_penalty:lam=-0.5": _NO_PENALTY_API,
    "elastic_net_penalty:l1=-1.0": _NO_PENALTY_API,
    "elastic_net_penalty:l2=-2.0": _NO_PENALTY_API,
    "max_norm:c=0.0": "torch.renorm(maxnorm=0) zeroes every slice instead of rejecting the bound",
    "clip_grad_norm:max_norm=-1.0": "clip_grad_norm_(max_norm=-1) multiplies every gradient by a negative factor "
                                    "(reverses the update direction) without an error",
    "clip_grad_norm:norm_type=0.0": "clip_grad_norm_(norm_type=0) clips by the count of nonzero entries, no error",
    "batch_norm:momentum=-0.1": "F.batch_norm takes momentum outside [0, 1]; the running statistics extrapolate",
    "batch_norm:momentum=1.5": "F.batch_norm takes momentum outside [0, 1]; the running statistics extrapolate",
    "batch_norm:momentum=nan": "F.batch_norm takes momentum=nan; the running statistics become NaN",
    "batch_norm:x=(0, 3)": "F.batch_norm on an empty batch returns an empty tensor and leaves NaN running statistics",
    "layer_norm:eps=0.0": "F.layer_norm(eps=0) divides by zero on a constant row (NaN output), no error",
    "layer_norm:eps=-1.0": "F.layer_norm(eps=-1) takes the square root of a negative number (NaN output), no error",
    "clip_grad_value:clip_value=-1.0": "clip_grad_value_(clip_value=-1) clamps into [1, -1], setting every entry "
                                       "to -1, without an error",
    # Found by the invalid cases issue 18 added (each reproduced with torch 2.13 on the CPU):
    "attention_dropout:p=-0.1": "F.scaled_dot_product_attention(dropout_p=-0.1) runs without an error",
    "attention_dropout:p=nan": "F.scaled_dot_product_attention(dropout_p=nan) runs without an error",
    "clip_grad_norm:max_norm=nan": "clip_grad_norm_(max_norm=nan) multiplies every gradient by NaN without an error",
    "clip_grad_value:clip_value=nan": "clip_grad_value_(clip_value=nan) sets every gradient to NaN without an error",
    "sgd_step:dampening=1.5": "torch.optim.SGD(dampening=1.5) is accepted: the momentum buffer's new term gets "
                              "weight 1 - 1.5 = -0.5",
    "max_norm:dim=5": "torch.renorm(dim=5) raises IndexError (Dimension out of range), not ValueError/TypeError",
}

from impls.torch_native.augmentation import *  # noqa: E402,F401,F403
from impls.torch_native.dropout import *  # noqa: E402,F401,F403
from impls.torch_native.noise import *  # noqa: E402,F401,F403
from impls.torch_native.normalization import *  # noqa: E402,F401,F403
from impls.torch_native.penalties import *  # noqa: E402,F401,F403
