//! Interleaved A/B rounds and the ratio of their medians.

/// Per-round figures of a baseline (A) and the measured variant (B), taken alternately.
#[derive(Debug, Default)]
pub struct Rounds {
    /// The baseline's figure per round (seconds, or whatever unit both share).
    pub baseline: Vec<f64>,
    /// The measured variant's figure per round, same unit.
    pub measured: Vec<f64>,
}

impl Rounds {
    /// Runs `rounds` rounds of `baseline` and `measured`, alternating which goes first (A/B,
    /// B/A, ...) so drift in machine load falls on both equally.
    pub fn run(
        rounds: usize,
        mut baseline: impl FnMut() -> f64,
        mut measured: impl FnMut() -> f64,
    ) -> Self {
        let mut out = Self::default();
        for round in 0..rounds {
            if round % 2 == 0 {
                out.baseline.push(baseline());
                out.measured.push(measured());
            } else {
                out.measured.push(measured());
                out.baseline.push(baseline());
            }
        }
        out
    }

    /// measured / baseline per round.
    pub fn ratios(&self) -> Vec<f64> {
        self.measured
            .iter()
            .zip(&self.baseline)
            .map(|(m, b)| m / b)
            .collect()
    }

    /// "median of the round ratios (their min–max, quartiles, N); ratio of the medians".
    pub fn ratio_summary(&self) -> String {
        let ratios = self.ratios();
        let (lo, hi) = spread(&ratios);
        let (q1, q3) = quartiles(&ratios);
        format!(
            "{:.3}x (rounds {lo:.3}–{hi:.3}, quartiles {q1:.3}–{q3:.3}, n={}; ratio of medians {:.3}x)",
            median(&ratios),
            ratios.len(),
            median(&self.measured) / median(&self.baseline),
        )
    }
}

/// The median of `values` (0 when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The smallest and largest of `values`.
pub fn spread(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        })
}

/// The first and third quartiles of `values` (nearest rank).
pub fn quartiles(values: &[f64]) -> (f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => (0.0, 0.0),
        n => (sorted[n / 4], sorted[(3 * n) / 4]),
    }
}
