"""Figures and a report section for natosim calibration files (natosim calibrate, schema in
docs/OUTPUT.md, "Calibration files"): prior vs posterior marginals, a pairs plot of the
posterior, tolerance / acceptance / ESS by generation, and the posterior predictive against the
targets. Every figure function returns a style.Plotted with the numbers it drew."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from . import style
from .errors import FileRefused, UsageError
from .h5check import Checked

FILE_TYPE = "natosim_calibration"
SCHEMA_MAJOR = "1"
BINS = 30


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


class Calibration:
    """The datasets and attributes of a calibration file, read once and checked as natosim's
    read_calibration (sim/io/calibration_file.cpp) checks them, with its messages; a file it
    refuses raises FileRefused (exit status 3)."""

    def __init__(self, path):
        self.path = Path(path)
        self.display = str(path)
        c = Checked(path, "calibration")
        try:
            self._read(c)
        finally:
            c.close()
        if self.particles.shape[0] == 0:
            raise UsageError(f"{self.display}: holds no generation")

    def _read(self, c: Checked):
        display = self.display
        c.require_file_type(FILE_TYPE, "calibration")
        version = c.string_attribute("schema_version")
        if version.split(".", 1)[0] != SCHEMA_MAJOR:
            raise FileRefused(f"{display}: calibration schema version {version} is not supported "
                              f"(this natosim reads {SCHEMA_MAJOR}.x)")
        c.string_attribute("model")
        c.string_attribute("stop_reason")
        c.number_attribute("seed")
        n = int(c.number_attribute("population"))
        self.attrs = {k: (_text(v) if isinstance(v, (bytes, str)) else v)
                      for k, v in c.file.attrs.items()}
        self.parameters = c.strings("parameter")
        self.priors = c.strings("prior")
        self.targets = c.strings("target")
        self.observed = c.numbers("observed")
        self.scale = c.numbers("target_scale")
        c.numbers("target_weight")
        g = int(np.prod(c.dims("generation")))
        d, m = len(self.parameters), len(self.targets)
        sizes = {name: int(np.prod(c.dims(name))) for name in (
            "particles", "weights", "distances", "simulated", "tolerance", "acceptance_rate",
            "ess", "proposals", "simulations", "target_scale", "target_weight")}
        for name in ("particles", "weights", "distances", "simulated", "tolerance",
                     "acceptance_rate", "ess"):
            c.expect_numeric(name)
        for name in ("proposals", "simulations"):
            c.expect_numeric(name, "int64")
        if (sizes["particles"] != g * n * d or sizes["weights"] != g * n
                or sizes["distances"] != g * n or sizes["simulated"] != g * n * m
                or any(sizes[name] != g for name in ("tolerance", "acceptance_rate", "ess",
                                                     "proposals", "simulations"))
                or len(self.priors) != d or len(self.observed) != m
                or sizes["target_scale"] != m or sizes["target_weight"] != m):
            raise FileRefused(f"{display}: malformed calibration file (dataset shapes disagree)")
        # natosim reads the arrays flat; the figures index them by axis, and natosim also reads
        # acceptance_rate, ess, proposals and simulations per generation.
        for name, shape in (("particles", (g, n, d)), ("weights", (g, n)),
                            ("distances", (g, n)), ("simulated", (g, n, m)),
                            ("tolerance", (g,)), ("acceptance_rate", (g,)), ("ess", (g,)),
                            ("proposals", (g,)), ("simulations", (g,)),
                            ("target_scale", (m,))):
            c.expect_shape(name, shape)
        self.particles = c.file["particles"][()]
        self.weights = c.file["weights"][()]
        self.distances = c.file["distances"][()]
        self.simulated = c.file["simulated"][()]
        self.tolerance = c.file["tolerance"][()]
        self.acceptance_rate = c.file["acceptance_rate"][()]
        self.ess = c.file["ess"][()]
        self.simulations = c.file["simulations"][()]

    @property
    def generations(self) -> int:
        return self.particles.shape[0]

    def caption(self, *notes) -> str:
        parts = [f"study: {self.attrs.get('study_name', '?')}",
                 f"model: {self.attrs.get('model', '?')}",
                 f"population: {self.particles.shape[1]}",
                 f"replicates: {self.attrs.get('replicates', '?')}",
                 f"generations: {self.generations}",
                 f"stopped by: {self.attrs.get('stop_reason') or 'unfinished'}",
                 style.provenance(self)]
        return " | ".join(parts + [n for n in notes if n])


def weighted_quantiles(values, weights, levels):
    """Weighted quantiles: the smallest value whose cumulative weight reaches each level (as
    natosim's weighted_quantile)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / np.sum(weights)
    return np.array([values[order][min(np.searchsorted(cumulative, q), len(values) - 1)]
                     for q in levels])


def plot_marginals(cal: Calibration, outdir, formats=("png",)) -> style.Plotted:
    """Histogram densities of each parameter: the prior sample (generation 0) and the final
    weighted posterior."""
    d = len(cal.parameters)
    fig, axes = style.new_figure(3.6 * min(d, 3), 3.0 * ((d + 2) // 3), (d + 2) // 3, min(d, 3),
                                 squeeze=False)
    data = {}
    for k, name in enumerate(cal.parameters):
        ax = axes[k // 3][k % 3]
        prior = cal.particles[0, :, k]
        posterior = cal.particles[-1, :, k]
        weights = cal.weights[-1]
        edges = np.linspace(min(prior.min(), posterior.min()), max(prior.max(), posterior.max()),
                            BINS + 1)
        if edges[0] == edges[-1]:
            edges = np.linspace(edges[0] - 0.5, edges[0] + 0.5, BINS + 1)
        prior_density, _ = np.histogram(prior, bins=edges, density=True)
        posterior_density, _ = np.histogram(posterior, bins=edges, weights=weights, density=True)
        ax.stairs(prior_density, edges, color=style.colour(1), label="prior (generation 0)")
        ax.stairs(posterior_density, edges, color=style.colour(0), fill=True, alpha=0.45,
                  label="posterior")
        ax.set_xlabel(name)
        ax.set_ylabel("density")
        ax.set_title(cal.priors[k], fontsize=8)
        data[f"{name}/edges"] = edges
        data[f"{name}/prior_density"] = prior_density
        data[f"{name}/posterior_density"] = posterior_density
    for k in range(d, axes.size):
        axes[k // 3][k % 3].set_visible(False)
    axes[0][0].legend(frameon=False)
    style.finish(fig, "Prior and posterior marginals", cal.caption())
    return style.Plotted(style.save(fig, outdir, "calibration_marginals", formats), data)


def plot_pairs(cal: Calibration, outdir, formats=("png",)) -> style.Plotted:
    """Posterior pairs plot: weighted histograms on the diagonal, particles below (marker area
    proportional to weight)."""
    d = len(cal.parameters)
    particles, weights = cal.particles[-1], cal.weights[-1]
    fig, axes = style.new_figure(2.4 * d + 0.6, 2.4 * d + 0.4, d, d, squeeze=False)
    size = 4.0 * weights / weights.max()
    for i in range(d):
        for j in range(d):
            ax = axes[i][j]
            if j > i:
                ax.set_visible(False)
            elif i == j:
                ax.hist(particles[:, i], bins=BINS, weights=weights, color=style.colour(0),
                        alpha=0.7)
            else:
                ax.scatter(particles[:, j], particles[:, i], s=size, color=style.colour(0),
                           alpha=0.5, linewidths=0)
            if i == d - 1:
                ax.set_xlabel(cal.parameters[j])
            if j == 0 and i > 0:
                ax.set_ylabel(cal.parameters[i])
    mean = weights @ particles
    centred = particles - mean
    covariance = (centred * weights[:, None]).T @ centred
    sd = np.sqrt(np.diag(covariance))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = covariance / np.outer(sd, sd)
    style.finish(fig, "Posterior pairs", cal.caption("marker area: particle weight"))
    return style.Plotted(style.save(fig, outdir, "calibration_pairs", formats),
                         {"particles": particles, "weights": weights, "mean": mean,
                          "correlation": correlation})


def plot_generations(cal: Calibration, outdir, formats=("png",)) -> style.Plotted:
    """Tolerance (log scale; generation 0 accepts everything), acceptance rate and ESS by
    generation."""
    generations = np.arange(cal.generations)
    finite = np.isfinite(cal.tolerance)
    fig, axes = style.new_figure(10.5, 3.2, 1, 3, squeeze=False)
    axes[0][0].plot(generations[finite], cal.tolerance[finite], marker="o")
    if finite.any() and np.all(cal.tolerance[finite] > 0):
        axes[0][0].set_yscale("log")
    axes[0][0].set_title("Tolerance")
    axes[0][1].plot(generations, cal.acceptance_rate, marker="o", color=style.colour(1))
    axes[0][1].set_ylim(0, 1.05)
    axes[0][1].set_title("Acceptance rate")
    axes[0][2].plot(generations, cal.ess, marker="o", color=style.colour(2))
    axes[0][2].set_ylim(bottom=0)
    axes[0][2].set_title("Effective sample size")
    for ax in axes[0]:
        ax.set_xlabel("generation")
        style.integer_years(ax)
    style.finish(fig, "ABC-SMC by generation", cal.caption())
    return style.Plotted(style.save(fig, outdir, "calibration_generations", formats),
                         {"generation": generations, "tolerance": cal.tolerance,
                          "acceptance_rate": cal.acceptance_rate, "ess": cal.ess})


def plot_predictive(cal: Calibration, outdir, formats=("png",)) -> style.Plotted:
    """Each target's observed value on the simulated summaries' 90% interval and median, for
    the prior sample (generation 0) and the posterior."""
    m = len(cal.targets)
    levels = (0.05, 0.5, 0.95)
    prior = np.array([weighted_quantiles(cal.simulated[0, :, t], cal.weights[0], levels)
                      for t in range(m)])
    posterior = np.array([weighted_quantiles(cal.simulated[-1, :, t], cal.weights[-1], levels)
                          for t in range(m)])
    # Deviations in units of each target's scale, so targets of any size share one axis.
    scale = cal.scale[:, None]
    prior_z = (prior - cal.observed[:, None]) / scale
    posterior_z = (posterior - cal.observed[:, None]) / scale
    fig, axes = style.new_figure(8.0, 1.8 + 0.32 * m)
    ax = axes
    y = np.arange(m)
    ax.hlines(y + 0.15, prior_z[:, 0], prior_z[:, 2], color=style.colour(1), linewidth=2,
              label="prior predictive 90%")
    ax.plot(prior_z[:, 1], y + 0.15, "|", color=style.colour(1))
    ax.hlines(y - 0.15, posterior_z[:, 0], posterior_z[:, 2], color=style.colour(0), linewidth=3,
              label="posterior predictive 90%")
    ax.plot(posterior_z[:, 1], y - 0.15, "|", color=style.colour(0), markersize=10)
    ax.axvline(0, color=style.THRESHOLD_COLOUR, linewidth=1, label="observed")
    ax.set_yticks(y)
    ax.set_yticklabels(cal.targets, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("(simulated - observed) / scale")
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    style.finish(fig, "Posterior predictive against the targets",
                 cal.caption("simulated: mean over the replicates of each particle"))
    return style.Plotted(style.save(fig, outdir, "calibration_predictive", formats),
                         {"observed": cal.observed, "prior_quantiles": prior,
                          "posterior_quantiles": posterior})


FIGURES = (("marginals", plot_marginals), ("pairs", plot_pairs),
           ("generations", plot_generations), ("predictive", plot_predictive))


def plot_all(path, outdir, formats=("png",)) -> style.Plotted:
    cal = Calibration(path)
    plotted = style.Plotted()
    for key, figure in FIGURES:
        if key == "pairs" and len(cal.parameters) < 2:
            plotted.notes.append("pairs: one parameter only")
            continue
        plotted.extend(figure(cal, outdir, formats), prefix=f"{key}/")
    return plotted


def calibration_section(path, out_dir) -> str:
    """An HTML fragment for the study report: the figures of a calibration file (written into
    out_dir) and a table of the posterior per parameter. Raises UsageError for a file that is
    not a calibration file."""
    out_dir = Path(out_dir)
    cal = Calibration(path)
    plotted = plot_all(path, out_dir)
    particles, weights = cal.particles[-1], cal.weights[-1]
    rows = []
    for k, name in enumerate(cal.parameters):
        low, median, high = weighted_quantiles(particles[:, k], weights, (0.05, 0.5, 0.95))
        prior_low, prior_high = np.quantile(cal.particles[0, :, k], (0.05, 0.95))
        width = (high - low) / (prior_high - prior_low) if prior_high > prior_low else np.nan
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(cal.priors[k])}</td>"
                    f"<td>{median:.4g}</td><td>{low:.4g} to {high:.4g}</td>"
                    f"<td>{width:.2f}</td></tr>")
    parts = [f"<h2>Calibration: {html.escape(cal.attrs.get('study_name', cal.display))}</h2>",
             f'<p class="note">{html.escape(cal.caption())}</p>',
             "<table><tr><th>parameter</th><th>prior</th><th>posterior median</th>"
             "<th>90% interval</th><th>interval / prior's</th></tr>", *rows, "</table>"]
    for path_written in plotted.files:
        rel = Path(path_written).relative_to(out_dir) if Path(path_written).is_relative_to(
            out_dir) else Path(path_written)
        parts.append(f'<a href="{html.escape(str(rel))}"><img src="{html.escape(str(rel))}" '
                     f'alt="{html.escape(Path(path_written).stem)}"></a>')
    return "\n".join(parts) + "\n"
