"""Paired experiments for the lectures' empirical claims about regularizers on small synthetic tasks, and, for
the claims about images, also on a real image data set (scikit-learn's bundled 8×8 digits).

Each `experiment_<name>` trains a baseline and one or more regularized arms on the same per-seed
data from the same per-seed initialization (theory.experiments.net.train_arms), forms one paired
difference per seed (positive = in the direction the lectures claim) and decides with the exact
sign test of theory.experiments.common. size="small" is a smoke test of the machinery.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from theory.experiments import net, tasks
from theory.experiments.common import (
    EXPERIMENT_ALPHA,
    SMALL_SIZE_NOTE,
    ExperimentResult,
    Size,
    check_size,
    decide,
    decide_conditions,
    paired_sign_test,
    part,
    seed_list,
    table,
    with_power,
)


def _data(generate, seeds: list[int], sizes: dict[str, int], device: str, **kwargs) -> net.Data:
    """One data set per seed (train/val/test drawn from independent streams of that seed)."""
    parts: dict[str, list[np.ndarray]] = {}
    for seed in seeds:
        for index, (split, n) in enumerate(sizes.items()):
            x, y = generate(np.random.default_rng([seed, index]), n, **kwargs)
            parts.setdefault(f"x_{split}", []).append(x)
            parts.setdefault(f"y_{split}", []).append(y)
    return net.Data(**{k: tasks.stack(v, device) for k, v in parts.items()})


def _numbers(trained: net.Trained, curve: str) -> np.ndarray:
    return trained.final(curve).detach().cpu().double().numpy()


def _mean_curves(trained: net.Trained, arms: dict[str, int], metric: str) -> dict[str, tuple]:
    """{label: (steps, mean train curve, mean val curve)} over seeds, for plots."""
    steps = np.array(trained.steps)
    return {
        label: (
            steps,
            trained.curves[f"train{metric}"][arm].mean(0).cpu().double().numpy(),
            trained.curves[f"val{metric}"][arm].mean(0).cpu().double().numpy(),
        )
        for label, arm in arms.items()
    }


def _start(configs: dict, size: Size, seeds: int | None, first_seed: int, salt: int) -> tuple[float, dict, list[int]]:
    """An experiment's start: the clock, the checked size's configuration and its seed values (`seeds` or the
    configuration's number of seeds, on the experiment's own stream `salt`)."""
    started = time.perf_counter()
    check_size(size)
    cfg = configs[size]
    return started, cfg, seed_list(first_seed, seeds or cfg["seeds"], salt=salt)


def _per_condition_details(setup: str, header: list[str], rows: list[list[object]], outcomes: dict, effect: str) -> str:
    """The details of an experiment decided per condition: its setup, the table of means, each condition's test."""
    return (setup + table(header, rows) + "\n\n"
            + "\n\n".join(f"{label} ({effect}): {o.describe()}" for label, o in outcomes.items()))


def _two_moons_setup(cfg: dict, training_points: str) -> str:
    """The setup the two-moons experiments share: the task, the MLP and how it is trained."""
    return (f"Task: two moons (noise 0.3){training_points}; MLP 2-{cfg['hidden']}-{cfg['hidden']}-2 (ReLU), "
            f"full-batch Adam lr=1e-2, {cfg['steps']} steps; ")


def _decide_over_conditions(details: str, outcomes: dict, differences: dict, condition: str, alpha: float,
                            compared: str) -> tuple[str, str]:
    """decide_conditions' decision, and the details with its test between the conditions appended when one ran
    (`compared` names the conditions and the per-seed effect compared)."""
    decision, between = decide_conditions(outcomes, differences, condition, alpha)
    return decision, details if between is None else f"{details}\n\nDifference between {compared}: {between.describe()}"


def _finish_per_condition(result: ExperimentResult, outcomes: dict, primary, started: float, size: Size
                          ) -> ExperimentResult:
    """_finish for an experiment decided per condition: each condition's own decision is a part of the result."""
    result.parts = {label: part(decide(o), o) for label, o in outcomes.items()}
    return _finish(with_power(result, primary), started, size)


def _finish(result: ExperimentResult, started: float, size: Size) -> ExperimentResult:
    result.size = size
    result.seconds = time.perf_counter() - started
    if size == "small":
        result.details += "\n\n" + SMALL_SIZE_NOTE
    return result


# ---------------------------------------------------------------- L2 and dropout narrow the train/val gap

GAP = {
    "small": dict(seeds=6, hidden=16, steps=80, n_train=20, n_val=100),
    "full": dict(seeds=64, hidden=64, steps=600, n_train=20, n_val=400),
}
GAP_LR = 1e-2


def _gap_experiment(name: str, claim: str, arm: net.Arm, *, seeds, device, size, first_seed) -> ExperimentResult:
    started, cfg, seed_values = _start(GAP, size, seeds, first_seed, salt=1)
    data = _data(tasks.sine_regression, seed_values, {"train": cfg["n_train"], "val": cfg["n_val"]}, device)
    base = net.Arm("baseline", lr=GAP_LR)
    with net.single_thread():
        trained = net.train_arms([base, arm], [1, cfg["hidden"], cfg["hidden"], 1], seed_values, data,
                                 steps=cfg["steps"], record_every=max(1, cfg["steps"] // 40), noise_seed=seed_values[0])
    train, val = _numbers(trained, "train"), _numbers(trained, "val")
    gap = val - train
    outcome = paired_sign_test(gap[0] - gap[1], EXPERIMENT_ALPHA)
    val_outcome = paired_sign_test(val[0] - val[1], EXPERIMENT_ALPHA)
    rows = [[a.name, float(train[i].mean()), float(val[i].mean()), float(gap[i].mean())] for i, a in enumerate([base, arm])]
    details = (
        f"Task: 1-D sine regression, {cfg['n_train']} noisy training points (noise σ = {tasks.SINE_NOISE}), "
        f"{cfg['n_val']} validation points; MLP 1-{cfg['hidden']}-{cfg['hidden']}-1 (ReLU), full-batch Adam "
        f"lr={GAP_LR}, {cfg['steps']} steps; {len(seed_values)} seeds, each arm from the same data and initialization.\n\n"
        + table(["arm", "mean train MSE", "mean val MSE", "mean gap (val - train)"], rows)
        + f"\n\nGap reduction (baseline gap - regularized gap): {outcome.describe()}\n\n"
        f"Validation-error reduction (informational): {val_outcome.describe()}"
    )
    result = ExperimentResult(claim, decide(outcome), outcome.median, outcome.ci, EXPERIMENT_ALPHA,
                              len(seed_values), details, [], name)
    result.plots["training_curves"] = dict(curves=_mean_curves(trained, {"baseline": 0, arm.name: 1}, ""),
                                           title=claim, filename=f"{name}.png")
    return _finish(with_power(result, outcome), started, size)



def experiment_l2_gap(*, seeds: int | None = None, device: str = "cpu", size: Size = "small", first_seed: int = 0) -> ExperimentResult:
    """L2 (λ·Σw² added to the loss) narrows the gap between validation and training error."""
    arm = net.Arm("L2 λ=3e-3", lr=GAP_LR, l2=3e-3)
    return _gap_experiment("l2_gap", "L2 regularization narrows the gap between training and validation error",
                           arm, seeds=seeds, device=device, size=size, first_seed=first_seed)


def experiment_dropout_gap(*, seeds: int | None = None, device: str = "cpu", size: Size = "small", first_seed: int = 0) -> ExperimentResult:
    """Dropout (p = 0.1 on both hidden layers) narrows the gap between validation and training error."""
    arm = net.Arm("dropout p=0.1", lr=GAP_LR, dropout=0.1)
    return _gap_experiment("dropout_gap", "Dropout narrows the gap between training and validation error",
                           arm, seeds=seeds, device=device, size=size, first_seed=first_seed)


# ---------------------------------------------------------------- dropout decorrelates hidden units

DECORRELATION = {
    "small": dict(seeds=6, hidden=16, steps=80, n_train=64, n_val=128),
    "full": dict(seeds=64, hidden=32, steps=400, n_train=200, n_val=500),
}
DECORRELATION_P = 0.3


def mean_abs_offdiagonal_correlation(hidden: torch.Tensor) -> torch.Tensor:
    """Per network [M, n, units] → mean |corr(unit i, unit j)| over i ≠ j among units that vary on the inputs."""
    centred = hidden - hidden.mean(dim=1, keepdim=True)
    scale = centred.pow(2).mean(dim=1).sqrt()  # [M, units]
    alive = scale > 1e-6 * scale.amax(dim=1, keepdim=True).clamp_min(1e-30)
    z = centred / torch.where(alive, scale, torch.ones_like(scale))[:, None, :]
    corr = torch.bmm(z.transpose(1, 2), z) / hidden.shape[1]
    pair = alive[:, :, None] & alive[:, None, :]
    pair &= ~torch.eye(hidden.shape[2], dtype=torch.bool, device=hidden.device)[None]
    return (corr.abs() * pair).sum(dim=(1, 2)) / pair.sum(dim=(1, 2)).clamp_min(1)


def experiment_dropout_decorrelation(*, seeds: int | None = None, device: str = "cpu", size: Size = "small",
                                     first_seed: int = 0) -> ExperimentResult:
    """Dropout lowers the mean absolute off-diagonal correlation between hidden units' activations."""
    started, cfg, seed_values = _start(DECORRELATION, size, seeds, first_seed, salt=2)
    data = _data(tasks.two_moons, seed_values, {"train": cfg["n_train"], "val": cfg["n_val"]}, device)
    arms = [net.Arm("baseline", lr=1e-2), net.Arm(f"dropout p={DECORRELATION_P}", lr=1e-2, dropout=DECORRELATION_P)]
    with net.single_thread():
        trained = net.train_arms(arms, [2, cfg["hidden"], cfg["hidden"], 2], seed_values, data, steps=cfg["steps"],
                                 record_every=cfg["steps"], noise_seed=seed_values[0])
        with torch.no_grad():
            hidden = net.forward(trained.params, net.tile(data.x_val, 2)).hidden
    per_layer = [mean_abs_offdiagonal_correlation(h).view(2, -1).cpu().double().numpy() for h in hidden]
    # α split over the two layers and the test of their difference.
    differences = {f"hidden layer {i + 1}": c[0] - c[1] for i, c in enumerate(per_layer)}
    outcomes = {label: paired_sign_test(d, EXPERIMENT_ALPHA / 3) for label, d in differences.items()}
    rows = [[label, float(c[0].mean()), float(c[1].mean())] for label, c in zip(outcomes, per_layer, strict=False)]
    details = _per_condition_details(
        _two_moons_setup(cfg, f", {cfg['n_train']} training points") + f"dropout p={DECORRELATION_P} on both hidden "
        f"layers. Statistic: mean |off-diagonal Pearson correlation| of post-ReLU activations over {cfg['n_val']} "
        "validation inputs in evaluation mode (units constant on those inputs excluded). α split over the two layers.\n\n",
        ["layer", "baseline mean |corr|", "dropout mean |corr|"], rows, outcomes, "baseline - dropout",
    )
    decision, details = _decide_over_conditions(details, outcomes, differences, "the layer", EXPERIMENT_ALPHA / 3,
                                                "the layers (per-seed effect, best − worst layer)")
    # The reported effect is the layer with the strongest evidence (the one a "shown" rests on).
    primary = max(outcomes.values(), key=lambda o: (o.rate if o.untied else 0.5, o.median))
    result = ExperimentResult("Dropout decorrelates hidden units (breaks co-adaptation)", decision, primary.median,
                              primary.ci, EXPERIMENT_ALPHA, len(seed_values), details, [], "dropout_decorrelation")
    return _finish_per_condition(result, outcomes, primary, started, size)


# ---------------------------------------------------------------- batch norm: faster training, higher learning rates

BATCHNORM = {
    "small": dict(seeds=4, hidden=16, steps=30, n_train=64, lrs=[0.1, 1.0], digits_n_train=64),
    "full": dict(seeds=40, hidden=32, steps=100, n_train=128, lrs=[0.03, 0.1, 0.3, 1.0, 3.0], digits_n_train=128),
}
#: The two questions of the batch-norm experiment, each decided over both tasks (the synthetic bars, the digits).
BATCHNORM_QUESTIONS = ("faster training", "higher learning rates")


def _batchnorm_losses(data: net.Data, sizes: list[int], classes: int, cfg: dict, seed_values: list[int]
                      ) -> tuple[np.ndarray, np.ndarray, float]:
    """Final training losses [lrs, seeds] without and with batch norm, and the cap a diverged run counts as."""
    lrs = cfg["lrs"]
    arms = [net.Arm(f"plain lr={lr}", lr=lr) for lr in lrs] + [net.Arm(f"BN lr={lr}", lr=lr, batchnorm=True) for lr in lrs]
    with net.single_thread():
        trained = net.train_arms(arms, sizes, seed_values, data, steps=cfg["steps"], record_every=cfg["steps"],
                                 optimizer="sgd", noise_seed=seed_values[0])
    cap = 100 * math.log(classes)  # a diverged run (NaN/inf loss) counts as this loss
    loss = np.nan_to_num(_numbers(trained, "train"), nan=cap, posinf=cap).clip(max=cap)
    return loss[: len(lrs)], loss[len(lrs):], cap


def experiment_batchnorm_speed(*, seeds: int | None = None, device: str = "cpu", size: Size = "small",
                               first_seed: int = 0) -> ExperimentResult:
    """Batch norm reaches a lower training loss in a fixed step budget (best over a learning-rate grid),
    and tolerates larger learning rates; on synthetic 6×6 bar images and on real 8×8 digit images."""
    started, cfg, seed_values = _start(BATCHNORM, size, seeds, first_seed, salt=3)
    lrs, h = cfg["lrs"], cfg["hidden"]
    side2 = tasks.DIGITS_SIDE**2
    tasks_run = {
        "6×6 bars": (_data(tasks.tiny_images, seed_values, {"train": cfg["n_train"], "val": 64}, device),
                     [tasks.IMAGE_SIDE**2, h, h, h, tasks.IMAGE_CLASSES], tasks.IMAGE_CLASSES),
        "8×8 digits": (_digits_data(seed_values, {"train": cfg["digits_n_train"], "val": 64}, device),
                       [side2, h, h, h, tasks.DIGITS_CLASSES], tasks.DIGITS_CLASSES),
    }
    # Higher learning rates, redesigned so that seeds do not tie: at the large learning rates of the grid
    # (the upper half), the mean log training loss reached, plain − BN. A seed ties only when both arms
    # diverge (capped) at every large rate. (The earlier design compared grid indices and tied 37 of 40.)
    high = [i for i, lr in enumerate(lrs) if lr >= float(np.median(lrs))]
    # α split over the two questions (two claims), and within each over its two tasks and their difference.
    alpha_each = EXPERIMENT_ALPHA / 2 / 3
    differences: dict[str, dict[str, np.ndarray]] = {q: {} for q in BATCHNORM_QUESTIONS}
    table_text = []
    for task, (data, sizes, classes) in tasks_run.items():
        plain, bn, cap = _batchnorm_losses(data, sizes, classes, cfg, seed_values)
        differences["faster training"][task] = plain.min(0) - bn.min(0)
        differences["higher learning rates"][task] = np.log(plain[high]).mean(0) - np.log(bn[high]).mean(0)
        rows = [[lr, float(np.median(plain[i])), float(np.median(bn[i])), int((plain[i] >= cap).sum()),
                 int((bn[i] >= cap).sum())] for i, lr in enumerate(lrs)]
        table_text.append(f"{task}:\n\n" + table(["lr", "median train loss plain", "median train loss BN",
                                                   "diverged plain", "diverged BN"], rows))
    outcomes = {q: {task: paired_sign_test(d, alpha_each) for task, d in per_task.items()}
                for q, per_task in differences.items()}
    scale_limit = (f"real images only as 8×8 grey digits ({cfg['digits_n_train']} training images, "
                   f"{tasks.DIGITS_CLASSES} classes) and a 3-hidden-layer MLP 64-{h}-{h}-{h}-{tasks.DIGITS_CLASSES}: "
                   "nothing about convolutional networks or natural images")
    details = (
        f"Tasks: synthetic 6×6 bar images (4 classes, pixel noise 0.6), {cfg['n_train']} training images, MLP "
        f"36-{h}-{h}-{h}-4; and real images, scikit-learn's 8×8 digits (pixels scaled to [0, 1], per seed a fixed "
        f"split), {cfg['digits_n_train']} training images, MLP {side2}-{h}-{h}-{h}-10. ReLU, with or without batch "
        f"norm (batch statistics, no affine) before each ReLU; full-batch SGD, {cfg['steps']} steps, learning rates "
        f"{lrs}. α split over the two questions, which are decided separately (they are two claims, not two "
        "conditions of one), and within each over the two tasks and the test of their difference. Scale limit: "
        f"{scale_limit}.\n\n" + "\n\n".join(table_text)
    )
    effects = {"faster training": "best-over-grid loss, plain - BN",
               "higher learning rates": f"mean log training loss over lr ≥ {lrs[high[0]]}, plain - BN"}
    parts, decisions = {}, {}
    for question in BATCHNORM_QUESTIONS:
        for task, o in outcomes[question].items():
            details += f"\n\n{question.capitalize()}, {task} ({effects[question]}): {o.describe()}"
        decision, details = _decide_over_conditions(details, outcomes[question], differences[question], "the task",
                                                    alpha_each, f"the tasks ({question}: per-seed effect)")
        decisions[question] = decision
        primary = outcomes[question]["6×6 bars"]
        parts[question] = part(decision, primary)
        parts.update({f"{question}, {task}": part(decide(o), o) for task, o in outcomes[question].items()})
    primary = outcomes["faster training"]["6×6 bars"]
    result = ExperimentResult("Batch norm allows faster training and higher learning rates",
                              decisions["faster training"], primary.median, primary.ci, EXPERIMENT_ALPHA,
                              len(seed_values), details, [], "batchnorm_speed")
    result.parts = parts
    result.scale_limit = scale_limit
    result.image_conditions = {"": "faster training, 8×8 digits",
                               **{q: f"{q}, 8×8 digits" for q in BATCHNORM_QUESTIONS}}
    return _finish(with_power(result, primary), started, size)


# ---------------------------------------------------------------- early stopping (and the L2 path)

EARLY = {
    "small": dict(seeds=6, hidden=16, steps=100, n_train=20, n_val=50, n_test=100, lams=[0.0, 1e-3, 1e-2]),
    "full": dict(seeds=48, hidden=64, steps=800, n_train=20, n_val=100, n_test=400,
                 lams=[0.0, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]),
}


def experiment_early_stopping(*, seeds: int | None = None, device: str = "cpu", size: Size = "small",
                              first_seed: int = 0) -> ExperimentResult:
    """Stopping where validation error turns up gives lower held-out (test) error than training to the end."""
    started, cfg, seed_values = _start(EARLY, size, seeds, first_seed, salt=4)
    data = _data(tasks.sine_regression, seed_values,
                 {"train": cfg["n_train"], "val": cfg["n_val"], "test": cfg["n_test"]}, device)
    arms = [net.Arm(f"L2 λ={lam:g}", lr=GAP_LR, l2=lam) for lam in cfg["lams"]]
    with net.single_thread():
        trained = net.train_arms(arms, [1, cfg["hidden"], cfg["hidden"], 1], seed_values, data, steps=cfg["steps"],
                                 record_every=max(1, cfg["steps"] // 50), noise_seed=seed_values[0])
    curves = {k: v.cpu().double().numpy() for k, v in trained.curves.items()}
    val, test, norm = curves["val"][0], curves["test"][0], curves["weight_norm"][0]  # the unregularized arm
    stop = val.argmin(axis=1)
    # One median for the text and both figures: the lower median of the per-seed stopping indices, so it is a
    # step that was recorded (np.median of an even count averages two steps and may fall between records).
    median_stop = int(np.sort(stop)[(len(stop) - 1) // 2])
    seeds_index = np.arange(len(seed_values))
    test_at_stop = test[seeds_index, stop]
    outcome = paired_sign_test(test[:, -1] - test_at_stop, EXPERIMENT_ALPHA)
    turned_up = int((stop < val.shape[1] - 1).sum())
    # L2 path: the λ chosen on validation, compared on test with early stopping (informational).
    best_lam = curves["val"][:, :, -1].argmin(axis=0)
    test_l2 = curves["test"][best_lam, seeds_index, -1]
    versus = paired_sign_test(test_l2 - test_at_stop, EXPERIMENT_ALPHA)
    steps = np.array(trained.steps)
    rows = [[arm.name, float(curves["weight_norm"][i, :, -1].mean()), float(curves["val"][i, :, -1].mean()),
             float(curves["test"][i, :, -1].mean())] for i, arm in enumerate(arms)]
    details = (
        f"Task: 1-D sine regression, {cfg['n_train']} training / {cfg['n_val']} validation / {cfg['n_test']} test "
        f"points; MLP 1-{cfg['hidden']}-{cfg['hidden']}-1, full-batch Adam lr={GAP_LR}, {cfg['steps']} steps, curves "
        f"every {steps[1] - steps[0]} steps. Early stopping = the recorded step with the lowest validation MSE.\n\n"
        f"Validation error turned up before the end (minimum not at the last step) in {turned_up} of "
        f"{len(seed_values)} seeds; median stopping step {int(steps[median_stop])} (the lower median over seeds, "
        "a recorded step; the figures mark the same step).\n\n"
        f"Test MSE at the end - at the early-stopping step: {outcome.describe()}\n\n"
        "L2 path (trained to the end):\n\n"
        + table(["arm", "mean weight norm", "mean val MSE", "mean test MSE"], rows)
        + f"\n\nL2 with λ chosen on validation vs early stopping (test MSE, L2 - early stopping; informational): "
        f"{versus.describe()}"
    )
    result = ExperimentResult("Early stopping at the validation minimum beats training to the end",
                              decide(outcome), outcome.median, outcome.ci, EXPERIMENT_ALPHA, len(seed_values),
                              details, [], "early_stopping")
    result.plots["early_stopping_vs_l2"] = dict(
        trajectory_norm=norm.mean(0), trajectory_val=val.mean(0), stop_index=median_stop,
        l2_norm=curves["weight_norm"][:, :, -1].mean(1), l2_val=curves["val"][:, :, -1].mean(1),
        lambdas=list(cfg["lams"]))
    result.plots["training_curves"] = dict(
        curves={"no regularizer": (steps, curves["train"][0].mean(0), val.mean(0))},
        title="Early stopping: training vs validation MSE", filename="early_stopping_curves.png",
        mark_step=int(steps[median_stop]))
    return _finish(with_power(result, outcome), started, size)


# ---------------------------------------------------------------- L1 gives sparse weights, L2 does not

SPARSITY = {
    "small": dict(seeds=6, hidden=8, steps=150, n_train=40),
    "full": dict(seeds=48, hidden=16, steps=1500, n_train=60),
}
SPARSITY_LR, SPARSITY_LAMBDA = 0.05, 0.01
NEAR_ZERO = 1e-3


def experiment_l1_sparsity(*, seeds: int | None = None, device: str = "cpu", size: Size = "small",
                           first_seed: int = 0) -> ExperimentResult:
    """L1 drives many first-layer weights to exactly zero; L2 with the same λ does not."""
    started, cfg, seed_values = _start(SPARSITY, size, seeds, first_seed, salt=5)
    data = _data(tasks.sparse_regression, seed_values, {"train": cfg["n_train"], "val": 200}, device)
    lam = SPARSITY_LAMBDA
    arms = [net.Arm("L2", lr=SPARSITY_LR, l2=lam), net.Arm("L1 (autograd subgradient)", lr=SPARSITY_LR, l1=lam),
            net.Arm("L1 (proximal step)", lr=SPARSITY_LR, prox_l1=lam)]
    with net.single_thread():
        trained = net.train_arms(arms, [tasks.SPARSE_INPUTS, cfg["hidden"], 1], seed_values, data, steps=cfg["steps"],
                                 record_every=cfg["steps"], optimizer="sgd", noise_seed=seed_values[0])
    first = trained.params[0].detach().view(len(arms), len(seed_values), -1).cpu().double().numpy()
    exact = (first == 0).mean(axis=2)
    near = (np.abs(first) < NEAR_ZERO).mean(axis=2)
    val = _numbers(trained, "val")
    # α split over the two L1 implementations and the test of their difference.
    differences = {"a proximal (soft-threshold) step": exact[2] - exact[0],
                   "the autograd subgradient of λ·Σ|w|": exact[1] - exact[0]}
    outcomes = {label: paired_sign_test(d, EXPERIMENT_ALPHA / 3) for label, d in differences.items()}
    near_outcome = paired_sign_test(near[1] - near[0], EXPERIMENT_ALPHA)
    rows = [[a.name, float(exact[i].mean()), float(near[i].mean()), float(val[i].mean())] for i, a in enumerate(arms)]
    details = (
        f"Task: {tasks.SPARSE_INPUTS} Gaussian inputs, only {tasks.SPARSE_TEACHER.size} relevant (sparse linear "
        f"teacher), {cfg['n_train']} training points; MLP {tasks.SPARSE_INPUTS}-{cfg['hidden']}-1 (ReLU), full-batch "
        f"SGD lr={SPARSITY_LR}, {cfg['steps']} steps, λ={lam} for every penalty. Statistic: fraction of first-layer "
        f"weights exactly 0 (and |w| < {NEAR_ZERO}). α split over the two L1 implementations.\n\n"
        + table(["arm", "exactly zero", f"|w| < {NEAR_ZERO}", "val MSE"], rows)
        + "\n\n"
        + "\n\n".join(f"L1 via {label} vs L2 (exact-zero fraction): {o.describe()}" for label, o in outcomes.items())
        + f"\n\nL1 subgradient vs L2, near-zero fraction (informational): {near_outcome.describe()}"
    )
    primary = outcomes["a proximal (soft-threshold) step"]
    decision, details = _decide_over_conditions(details, outcomes, differences, "how the L1 penalty is optimized",
                                                EXPERIMENT_ALPHA / 3, "the two optimizers (exact-zero fraction gain)")
    result = ExperimentResult("L1 yields sparse (exactly zero) weights while L2 does not", decision, primary.median,
                              primary.ci, EXPERIMENT_ALPHA, len(seed_values), details, [], "l1_sparsity")
    result.plots["weight_histograms"] = dict(weights={a.name: first[i].ravel() for i, a in enumerate(arms)})
    return _finish_per_condition(result, outcomes, primary, started, size)


# ---------------------------------------------------------------- mixup on small data (two moons and real digits)

MIXUP = {
    "small": dict(seeds=6, hidden=16, steps=80, n_trains=[20, 100], n_test=200,
                  digits=dict(hidden=16, steps=40, n_train=50, n_val=20, n_test=200)),
    "full": dict(seeds=64, hidden=64, steps=400, n_trains=[20, 400], n_test=2000,
                 digits=dict(hidden=64, steps=300, n_train=100, n_val=50, n_test=1000)),
}
MIXUP_ALPHA = 1.0
#: The stream index (beside the seed) of each seed's split of the digits: independent of the synthetic tasks'.
DIGITS_STREAM = 7


def _digits_data(seeds: list[int], sizes: dict[str, int], device: str) -> net.Data:
    """One split of the real 8×8 digits per seed (disjoint train/val/test, fixed by the seed)."""
    parts: dict[str, list[np.ndarray]] = {}
    for seed in seeds:
        for split, (x, y) in tasks.digits_split(np.random.default_rng([seed, DIGITS_STREAM]), sizes).items():
            parts.setdefault(f"x_{split}", []).append(x)
            parts.setdefault(f"y_{split}", []).append(y)
    return net.Data(**{k: tasks.stack(v, device) for k, v in parts.items()})


def digits_scale_limit(n_train: int, hidden: int) -> str:
    """What a verdict from the digits condition covers, from its configuration."""
    side = tasks.DIGITS_SIDE
    return (f"real images only as 8×8 grey digits ({tasks.digits_count()} in all, {side * side} pixels, "
            f"{tasks.DIGITS_CLASSES} classes), {n_train} training images, an MLP {side * side}-{hidden}-{hidden}-"
            f"{tasks.DIGITS_CLASSES}: nothing about convolutional networks or natural images")


def experiment_mixup(*, seeds: int | None = None, device: str = "cpu", size: Size = "small", first_seed: int = 0) -> ExperimentResult:
    """Mixup (α = 1) raises test accuracy when training data are scarce; checked on two moons at a small and a
    larger n, and on real 8×8 digit images (scikit-learn's bundled set) with few training images."""
    started, cfg, seed_values = _start(MIXUP, size, seeds, first_seed, salt=6)
    arms = [net.Arm("baseline", lr=1e-2), net.Arm(f"mixup α={MIXUP_ALPHA}", lr=1e-2, mixup_alpha=MIXUP_ALPHA)]
    outcomes, differences, rows = {}, {}, []
    # α split over the conditions (the training-set sizes on two moons, the digits) and the test of their difference.
    alpha_each = EXPERIMENT_ALPHA / (len(cfg["n_trains"]) + 2)

    def condition(label: str, data: net.Data, sizes: list[int], steps: int, noise_seed: int, n_train: int) -> None:
        with net.single_thread():
            trained = net.train_arms(arms, sizes, seed_values, data, steps=steps, record_every=steps,
                                     noise_seed=noise_seed)
        acc = _numbers(trained, "test_acc")
        differences[label] = acc[1] - acc[0]
        outcomes[label] = paired_sign_test(acc[1] - acc[0], alpha_each)
        rows.append([label, n_train, float(acc[0].mean()), float(acc[1].mean())])

    for n_train in cfg["n_trains"]:
        data = _data(tasks.two_moons, seed_values, {"train": n_train, "val": 50, "test": cfg["n_test"]}, device)
        condition(f"two moons, n_train={n_train}", data, [2, cfg["hidden"], cfg["hidden"], 2], cfg["steps"],
                  seed_values[0] + n_train, n_train)
    dg = cfg["digits"]
    digits = _digits_data(seed_values, {"train": dg["n_train"], "val": dg["n_val"], "test": dg["n_test"]}, device)
    side2 = tasks.DIGITS_SIDE**2
    condition(f"8×8 digits, n_train={dg['n_train']}", digits, [side2, dg["hidden"], dg["hidden"], tasks.DIGITS_CLASSES],
              dg["steps"], seed_values[0] + DIGITS_STREAM, dg["n_train"])
    scale_limit = digits_scale_limit(dg["n_train"], dg["hidden"])
    details = _per_condition_details(
        _two_moons_setup(cfg, "") + f"mixup partners are a random permutation of the batch, λ ~ Beta({MIXUP_ALPHA}, "
        f"{MIXUP_ALPHA}) per step and network. Statistic: accuracy on {cfg['n_test']} test points. Real images: "
        f"scikit-learn's 8×8 digits (pixels scaled to [0, 1]), per seed a fixed split into {dg['n_train']} training, "
        f"{dg['n_val']} validation and {dg['n_test']} test images; MLP {side2}-{dg['hidden']}-{dg['hidden']}-"
        f"{tasks.DIGITS_CLASSES}, the same optimizer and mixup, {dg['steps']} steps; statistic: test accuracy. α split "
        f"over the three conditions and the test of their difference. Scale limit: {scale_limit}.\n\n",
        ["condition", "n_train", "baseline test accuracy", "mixup test accuracy"], rows, outcomes,
        "mixup - baseline accuracy",
    )
    decision, details = _decide_over_conditions(details, outcomes, differences, "the task and training-set size",
                                                alpha_each, "the conditions (accuracy gain)")
    primary = outcomes[f"two moons, n_train={cfg['n_trains'][0]}"]
    result = ExperimentResult("Mixup improves accuracy on small data", decision, primary.median, primary.ci,
                              EXPERIMENT_ALPHA, len(seed_values), details, [], "mixup")
    result.scale_limit = scale_limit
    result.image_conditions = {"": f"8×8 digits, n_train={dg['n_train']}"}
    return _finish_per_condition(result, outcomes, primary, started, size)
