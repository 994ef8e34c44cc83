"""Defect: eval mode still normalizes with the batch's statistics (forgotten mode switch); running statistics are returned unchanged."""

from regverify.conformance.defects.parts.batch_norm import BatchNormCall, torch_batch_norm_with_output

BACKEND = "torch"


def training_normalization_in_eval(call: BatchNormCall):
    x = call.x
    if call.options["training"] or x.shape[0] * x[0, 0].numel() < 2:  # one value per channel has no batch variance
        return None
    return call.reference_output(training=True)  # the mistake: eval must normalize with the running statistics


batch_norm = torch_batch_norm_with_output(training_normalization_in_eval)
