//! Rate limits (issue 16): fixed one-minute windows. A request is the `count`-th of its
//! window; beyond the quota it is refused until the window ends. What the client is told
//! follows the IETF draft "RateLimit header fields for HTTP"
//! (draft-ietf-httpapi-ratelimit-headers): the policy (`q` requests per `w` seconds) and
//! what remains (`r`) until the window resets (`t` seconds).

use chrono::{DateTime, Duration, Utc};

/// The length of a window, in seconds.
pub const WINDOW_SECS: i64 = 60;

/// The outcome of one request against a quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The policy's name in the headers (`partner`, `citizen`).
    pub policy: &'static str,
    pub quota: u32,
    pub remaining: u32,
    /// Seconds until the window resets (at least 1).
    pub reset_secs: i64,
    pub allowed: bool,
}

/// The start of the window `now` falls in.
pub fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let secs = now.timestamp().div_euclid(WINDOW_SECS) * WINDOW_SECS;
    DateTime::from_timestamp(secs, 0).unwrap_or(now)
}

/// The verdict on the `count`-th request of the window starting at `start`, at `now`.
pub fn verdict(
    policy: &'static str,
    quota: u32,
    count: i64,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Verdict {
    let reset = (start + Duration::seconds(WINDOW_SECS) - now)
        .num_seconds()
        .clamp(1, WINDOW_SECS);
    let used = u32::try_from(count.max(0)).unwrap_or(u32::MAX);
    Verdict {
        policy,
        quota,
        remaining: quota.saturating_sub(used),
        reset_secs: reset,
        allowed: used <= quota,
    }
}

impl Verdict {
    /// `RateLimit-Policy`: `"partner";q=600;w=60`.
    pub fn policy_header(&self) -> String {
        format!("\"{}\";q={};w={WINDOW_SECS}", self.policy, self.quota)
    }

    /// `RateLimit`: `"partner";r=42;t=17`.
    pub fn limit_header(&self) -> String {
        format!(
            "\"{}\";r={};t={}",
            self.policy, self.remaining, self.reset_secs
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_ends_with_the_window() {
        let now = DateTime::from_timestamp(1_000_000_030, 0).unwrap();
        let start = window_start(now);
        assert_eq!(start.timestamp(), 1_000_000_020);
        let ok = verdict("partner", 3, 3, start, now);
        assert!(ok.allowed);
        assert_eq!((ok.remaining, ok.reset_secs), (0, 50));
        let refused = verdict("partner", 3, 4, start, now);
        assert!(!refused.allowed);
        assert_eq!(refused.policy_header(), "\"partner\";q=3;w=60");
        assert_eq!(refused.limit_header(), "\"partner\";r=0;t=50");
    }
}
