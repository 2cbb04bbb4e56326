//! The cell key method: the figures a viewer sees are adjusted slightly, so
//! that comparing two answers does not single anyone out.
//!
//! Suppression ([`super::disclosure`]) protects what one page shows. A
//! viewer who asks twice, with periods a day apart, could subtract the two
//! answers: when one person was first contacted that day, every breakdown
//! would differ by that person. The Office for National Statistics (Census
//! 2021 flexible tables) and the Australian Bureau of Statistics
//! (TableBuilder) protect against this with the cell key method, as here:
//!
//! - Every person has a fixed random **record key** (32 bits, kept in the
//!   projection, never shown).
//! - A figure's **cell key** is the sum of its people's record keys, modulo
//!   2^32: the same people always give the same key, and one person more
//!   or less gives an unrelated one.
//! - The **perturbation table** ([`noise`]) turns the figure's true count
//!   and its cell key into a small adjustment with a mean of zero: none for
//!   60% of figures, one either way for 30%, two for 7.5%, more for 2.5%
//!   (never more than [`MAX_NOISE`]). The viewer sees the count plus its
//!   adjustment.
//!
//! The same figure therefore always reads the same, in every table and on
//! every asking (nothing to average away), and the difference of two
//! answers is the true difference plus two adjustments that the viewer
//! cannot know: a breakdown that moved by one may have moved because of
//! the person or of the noise. Zero is never adjusted (it singles nobody
//! out), and a count at or above the threshold is never adjusted below it
//! (it would read as a small count shown). Admins, who can see names
//! anyway, see exact figures.

use serde::{Deserialize, Serialize};

/// Who a report is for, and so whether its figures are adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    /// Admins: exact figures (small ones still hidden).
    Exact,
    /// Viewers: every figure adjusted by the cell key method.
    Adjusted,
}

/// The perturbation table's spread: the chance of an adjustment of `k`
/// either way falls by this factor with each step of `k` (a two-sided
/// geometric, or discrete Laplace, distribution). With a quarter: no
/// adjustment 60% of the time, one either way 30%, two 7.5%, more 2.5%.
const DECAY: f64 = 0.25;

/// The largest adjustment either way. The cell key's 32 bits cannot reach
/// further into the table's tails: beyond this lies less than 2^-32.
pub const MAX_NOISE: u64 = 16;

/// The adjustment for a figure of `count` people whose record keys add up
/// to `keys`, with the area's `threshold`: the perturbation table read at
/// the cell key (the keys' sum modulo 2^32, as a fraction of 2^32).
///
/// The table has no hard edge short of [`MAX_NOISE`], so no pair of
/// answers is ever impossible for a difference of one person more or
/// less: seeing the extremes of a bounded table (say -2 then +2) would
/// otherwise prove that two answers differ by exactly one person.
pub fn noise(count: u64, keys: u64, threshold: u64) -> i64 {
    if count == 0 || count < threshold {
        return 0;
    }
    // The cell key, strictly inside (0, 1).
    let key = ((keys & 0xFFFF_FFFF) as f64 + 0.5) / 4_294_967_296.0;
    // How far from the middle, as a fraction of the way to either end.
    let far = (key - 0.5).abs() * 2.0;
    // |adjustment| >= k with probability 2 DECAY^k / (1 + DECAY).
    let mut size = 0;
    while size < MAX_NOISE as i64 && far >= 1.0 - 2.0 * DECAY.powi(size as i32 + 1) / (1.0 + DECAY)
    {
        size += 1;
    }
    if key < 0.5 { -size } else { size }
}

/// A figure of `count` people whose record keys add up to `keys`, as a
/// viewer sees it: never below the threshold when it is not below it
/// (it would read as a small count shown), and zero stays zero.
pub fn adjusted(count: u64, keys: u64, threshold: u64) -> u64 {
    let shown = count.saturating_add_signed(noise(count, keys, threshold));
    if count >= threshold {
        shown.max(threshold)
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cell key from `0` up in `steps` even steps.
    fn keys(steps: u64) -> impl Iterator<Item = u64> {
        (0..steps).map(move |s| (s << 32) / steps)
    }

    #[test]
    fn the_adjustments_follow_the_table_with_a_mean_of_zero() {
        let steps = 100_000;
        let mut seen: std::collections::BTreeMap<i64, u64> = Default::default();
        for key in keys(steps) {
            *seen.entry(noise(100, key, 5)).or_default() += 1;
        }
        let share = |k: i64| seen.get(&k).copied().unwrap_or(0) as f64 / steps as f64;
        assert!((share(0) - 0.6).abs() < 0.001, "{seen:?}");
        assert!((share(1) - 0.15).abs() < 0.001 && (share(-1) - 0.15).abs() < 0.001);
        assert!((share(2) - 0.0375).abs() < 0.001 && (share(-2) - 0.0375).abs() < 0.001);
        let mean: f64 = seen.iter().map(|(k, n)| *k as f64 * *n as f64).sum::<f64>() / steps as f64;
        assert!(mean.abs() < 0.001, "{mean}");
        assert!(seen.keys().all(|k| k.unsigned_abs() <= MAX_NOISE));
        // The far ends of the cell key reach the far ends of the table.
        assert_eq!(noise(100, 0, 5), -(MAX_NOISE as i64));
        assert_eq!(noise(100, u64::from(u32::MAX), 5), MAX_NOISE as i64);
    }

    #[test]
    fn zero_and_small_counts_are_never_moved_and_none_drops_below_the_threshold() {
        for key in keys(1000) {
            assert_eq!(adjusted(0, key, 5), 0);
            assert_eq!(adjusted(3, key, 5), 3);
            for n in 5..40 {
                let shown = adjusted(n, key, 5);
                assert!(
                    shown >= 5 && shown.abs_diff(n) <= MAX_NOISE,
                    "{n} -> {shown}"
                );
            }
        }
    }

    #[test]
    fn the_same_people_always_read_the_same() {
        let keys = [7u64 << 28, 3 << 30, 12345];
        let sum: u64 = keys.iter().sum();
        assert_eq!(adjusted(30, sum, 5), adjusted(30, sum, 5));
        // Keys are added whole; only their sum modulo 2^32 counts.
        assert_eq!(noise(30, sum, 5), noise(30, sum + (5 << 32), 5));
    }
}
