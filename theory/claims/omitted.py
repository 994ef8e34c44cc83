"""Statements of the documents deliberately not in the ledger, each with the reason."""

from __future__ import annotations

from theory.lectures import MODULE2, NOTES004, OVERVIEW, PRIMER, WEEK6
from theory.ledger import leave_out

#: (document, [(section, what is left out, why)]) in the order they are listed.
_ENTRIES = [
    (PRIMER, [
        ("2. Dropout", "dropout is like sending random employees on vacation", "an analogy, not a claim"),
        ("1. High-Level Explanation of the Technique", "dropout breaks co-adaptation and yields redundant, robust features", "an explanatory hypothesis about trained networks"),
        ("3. Mathematical Framework for Variance Reduction", "dropout pushes the covariance C between thinned networks toward zero", "an empirical hypothesis about trained networks; there is no general theorem and no cheap experiment that "
        "measures C between thinned sub-networks of a trained model"),
        ("4. Overcoming Computational Infeasibility", "all 2^n sub-networks share the same parameters", "true by construction (a description of the method)"),
        ("Summary Comparison", "when each technique is best used", "practical advice"),
        ("2. Mathematical Formulation and Process", "BN is usually placed after the linear layer, before the activation", "a statement about common practice"),
        ("The Scale and Shift Step (Crucial)", "without γ, β a sigmoid would stay in its linear regime", "qualitative motivation (the exact part, undoing the normalisation, is BATCHNORM.AFFINE.UNDO)"),
    ]),
    (OVERVIEW, [
        ("What is Overfitting?", "definition of overfitting", "a definition"),
        ("1. L1 and L2 Regularization", "L2 is more commonly used in deep learning", "a statement about practice"),
        ("Choosing the Right Regularization", "table of when to use each regularizer", "practical advice"),
        ("Combining Regularization Techniques", "regularization leads to smoother loss landscapes", "an empirical claim without a stated measure of smoothness"),
    ]),
    (WEEK6, [
        ("Interpretation", "dropout as approximate variational inference (Bayesian view)", "a theoretical interpretation (Gal & Ghahramani) whose statement needs a model and prior not given in the notes"),
        ("Placement", "pre-activation BN → ReLU is the original paper's placement", "a bibliographic statement"),
        ("General Guidelines", "start from dropout 0.3-0.5, weight decay 1e-4, …", "practical advice"),
        ("By Problem Type", "recommended regularizers per task", "practical advice"),
        ("Text/Sequence Augmentations", "synonym replacement, back-translation, …", "a list of techniques, no claim"),
        ("Exercises", "exercises", "not claims"),
    ]),
    (MODULE2, [
        ("What is regularization?", "simplest models are most likely to perform better (Occam's razor)", "a philosophical principle"),
        ("The bias-variance tradeoff: overfitting and underfitting", "bias-variance tradeoff and overfitting-underfitting are equivalent", "a statement about terminology"),
        ("Module 2", "the entropy term promotes action diversity and exploration in RL", "an empirical claim about reinforcement learning"),
        ("Other Dropout variations", "Gaussian dropout reduces test-time computation and trains faster", "empirical/engineering claims"),
        ("Other Dropout variations", "definitions of variational, attention, adaptive, embedding dropout and DropBlock", "definitions"),
        ("Stochastic Depth", "stochastic depth is most popular in large ResNets", "a statement about practice"),
        ("Data augmentation", "feature-space, GAN-based and meta-learning augmentation", "descriptions of methods"),
        ("Conclusion", "all strategies either penalise parameters or inject noise", "a taxonomy (opinion)"),
    ]),
    (NOTES004, [
        ("L1", "L1 is valuable for network compression on small devices", "a statement about practice"),
        ("L2", "orthogonal weights give much faster and more stable convergence", "an empirical claim about training (the exact part is ORTHOGONAL.NORM_PRESERVING)"),
        ("Drop Connect", "all connections are used at test time", "a description; the DropConnect paper's inference rule is a Gaussian moment-matching approximation that the "
        "notes do not state, so there is no formula to check"),
        ("Data Augmentation", "augmentation is not considered a regularization method", "terminology"),
        ("Dropout", "consider dropout for very large fully connected networks", "practical advice"),
    ]),
    (MODULE2, [
        ("Module 2", "usually only the weights, not the biases, are regularized", "a statement about practice"),
        ("Label smoothing", "adding randomness reduces variance and lowers the generalization error", "a general empirical claim about noise injection"),
        ("Module 2", "entropy is the expected value of the information of a variable", "a definition"),
        ("Module 2", "early stopping sets the number of epochs to the absolute best", "only the best among the epochs actually evaluated; covered in spirit by EARLY_STOPPING.PATIENCE_CODE"),
    ]),
    (WEEK6, [
        ("Exercises", "dropout gives different outputs on each training forward pass (Exercise 6.2)", "an exercise; the randomness of the mask is DROPOUT.MASK.BERNOULLI"),
    ]),
]

for _doc, _items in _ENTRIES:
    for _section, _what, _reason in _items:
        leave_out(_doc, _section, _what, _reason)
