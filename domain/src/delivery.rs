//! The delivery of queued messages (the outbox): its states and the retry rule. Pure: the
//! worker (`api::delivery`) takes the time and the random jitter and applies the answer.
//!
//! A message is `pending` until a worker claims it (`sending`, with a lease); a delivery
//! makes it `sent`; a temporary failure puts it back to `pending` at a later
//! `available_at` (exponential backoff with jitter), until `max_attempts` attempts were
//! made, when it is `dead`; a permanent refusal (an SMTP 5xx, no address) makes it
//! `failed` at once. `failed` and `dead` wait for an operator (`ecommissariat outbox
//! retry <id>`). A claim whose lease ran out (its worker was killed) is claimed again:
//! delivery is at least once.

use chrono::{DateTime, Duration, Utc};

crate::code_enum!(
    /// Where a queued message stands.
    OutboxStatus, "outbox status", {
        /// Waiting for its `available_at`.
        Pending => "pending",
        /// Claimed by a worker, whose lease runs until `claimed_at` + the lease time.
        Sending => "sending",
        /// Delivered to the mail server, or printed in a letter batch.
        Sent => "sent",
        /// Refused for good (an SMTP 5xx answer, no address): an operator decides.
        Failed => "failed",
        /// Every attempt failed temporarily: an operator decides.
        Dead => "dead",
    }
);

impl OutboxStatus {
    /// The statuses an operator may send a message again from.
    pub const RETRYABLE: [OutboxStatus; 2] = [OutboxStatus::Failed, OutboxStatus::Dead];
}

/// How failed attempts are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts (claims) before a message is dead; at least 1.
    pub max_attempts: u32,
    /// The delay after the first failed attempt; each further failure doubles it.
    pub base_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 12 attempts, 30 s doubling up to 30 min: about 3 h 20 min of retries, so that a
    /// mail server down for an afternoon loses nothing.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 12,
            base_delay: Duration::seconds(30),
            max_delay: Duration::minutes(30),
        }
    }
}

/// How one attempt ended, as the sender saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    /// Worth trying again later (connection refused, timeout, SMTP 4xx); the stable code
    /// of the cause (`smtp_unavailable`, `smtp_4xx`…).
    Temporary(String),
    /// Will never succeed as it is (SMTP 5xx, no address): the code of the cause.
    Permanent(String),
}

/// What to write after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    Sent,
    /// Back to `pending`, due at this time, with the cause's code.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    Failed {
        error: String,
    },
    Dead {
        error: String,
    },
}

impl RetryPolicy {
    /// The delay before the attempt after `attempts` failed ones: `base × 2^(attempts−1)`,
    /// at most `max_delay`, of which the upper half is scaled by `jitter` (0 ≤ jitter <
    /// 1, drawn by the caller) so that messages failed together do not return together.
    pub fn delay(&self, attempts: u32, jitter: f64) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        let full = self
            .base_delay
            .checked_mul(1_i32 << exponent.min(30))
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let millis = full.num_milliseconds();
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // Truncation to whole milliseconds is intended.
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let extra = ((millis / 2) as f64 * jitter) as i64;
        Duration::milliseconds(millis - millis / 2 + extra)
    }

    /// The step after an attempt that was the `attempts`-th (claims count as attempts,
    /// so a worker killed mid-delivery used one).
    pub fn next_step(
        &self,
        outcome: AttemptOutcome,
        attempts: u32,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> NextStep {
        match outcome {
            AttemptOutcome::Delivered => NextStep::Sent,
            AttemptOutcome::Permanent(error) => NextStep::Failed { error },
            AttemptOutcome::Temporary(error) if attempts >= self.max_attempts.max(1) => {
                NextStep::Dead { error }
            }
            AttemptOutcome::Temporary(error) => NextStep::Retry {
                at: now + self.delay(attempts, jitter),
                error,
            },
        }
    }
}

/// The class of an SMTP reply code: 5xx is permanent (RFC 5321 §4.2.1), anything else
/// (4xx, no answer) temporary.
pub fn smtp_outcome(code: Option<u16>) -> AttemptOutcome {
    match code {
        Some(code) if (500..600).contains(&code) => AttemptOutcome::Permanent("smtp_5xx".into()),
        Some(code) if (400..500).contains(&code) => AttemptOutcome::Temporary("smtp_4xx".into()),
        _ => AttemptOutcome::Temporary("smtp_unavailable".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
    }

    #[test]
    fn delays_double_up_to_the_cap_with_jitter_in_the_upper_half() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(1, 0.0), Duration::seconds(15));
        assert_eq!(policy.delay(1, 0.999_999), Duration::milliseconds(29_999));
        assert_eq!(policy.delay(2, 0.0), Duration::seconds(30));
        assert_eq!(policy.delay(3, 0.5), Duration::seconds(90));
        // Capped at 30 min, however many attempts.
        assert_eq!(policy.delay(7, 1.0), Duration::minutes(30));
        assert_eq!(policy.delay(40, 0.0), Duration::minutes(15));
        assert_eq!(policy.delay(u32::MAX, f64::NAN), Duration::minutes(15));
        for attempts in 1..20 {
            assert!(policy.delay(attempts, 0.3) <= policy.delay(attempts + 1, 0.3));
        }
    }

    #[test]
    fn temporary_failures_retry_until_dead_and_permanent_ones_fail_at_once() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let temporary = || AttemptOutcome::Temporary("smtp_unavailable".into());
        assert_eq!(
            policy.next_step(temporary(), 1, now(), 0.0),
            NextStep::Retry {
                at: now() + Duration::seconds(15),
                error: "smtp_unavailable".into()
            }
        );
        assert!(matches!(
            policy.next_step(temporary(), 2, now(), 0.0),
            NextStep::Retry { .. }
        ));
        assert_eq!(
            policy.next_step(temporary(), 3, now(), 0.0),
            NextStep::Dead {
                error: "smtp_unavailable".into()
            }
        );
        assert_eq!(
            policy.next_step(smtp_outcome(Some(550)), 1, now(), 0.0),
            NextStep::Failed {
                error: "smtp_5xx".into()
            }
        );
        assert_eq!(
            policy.next_step(AttemptOutcome::Delivered, 3, now(), 0.0),
            NextStep::Sent
        );
    }

    #[test]
    fn smtp_codes_classify() {
        assert_eq!(
            smtp_outcome(Some(421)),
            AttemptOutcome::Temporary("smtp_4xx".into())
        );
        assert_eq!(
            smtp_outcome(Some(554)),
            AttemptOutcome::Permanent("smtp_5xx".into())
        );
        assert_eq!(
            smtp_outcome(None),
            AttemptOutcome::Temporary("smtp_unavailable".into())
        );
    }

    #[test]
    fn statuses_round_trip() {
        for status in OutboxStatus::ALL {
            assert_eq!(status.as_str().parse::<OutboxStatus>(), Ok(*status));
        }
    }
}
