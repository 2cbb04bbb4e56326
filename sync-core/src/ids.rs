//! Identifiers and time.
//!
//! Every record is identified by a UUIDv7, so ids created offline on different
//! phones never collide and sort roughly by creation time. Time is supplied by
//! the caller through [`Clock`]: sync-core never reads a clock on its own in
//! tests, which keeps every test deterministic in what it checks.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An id could not be parsed from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {what} id")]
pub struct ParseIdError {
    what: &'static str,
}

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered (UUIDv7) id for something created at `at`.
            pub fn new(at: Timestamp) -> Self {
                Self(new_v7(at))
            }

            /// Wraps an existing UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// The 16 bytes of the UUID.
            pub const fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(s).map(Self).map_err(|_| ParseIdError { what: $what })
            }
        }
    };
}

uuid_id!(
    /// The id of a record's document (a person, an event, an area configuration).
    DocId,
    "document"
);
uuid_id!(
    /// The id of a device (a phone, or the server itself), recorded with
    /// everything it creates. (Its automerge actor is a separate id, new for
    /// every store, so a wiped and re-set-up store never reuses one.)
    DeviceId,
    "device"
);
uuid_id!(
    /// The id of an entry inside a person document: an interaction or a consent record.
    EntryId,
    "entry"
);

fn new_v7(at: Timestamp) -> Uuid {
    let millis = u64::try_from(at.0).unwrap_or(0);
    Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        millis / 1000,
        ((millis % 1000) * 1_000_000) as u32,
    ))
}

/// A point in time: milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// Milliseconds in a day.
    pub const DAY_MILLIS: i64 = 86_400_000;

    /// From milliseconds since the Unix epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This time plus a number of milliseconds (negative to go back).
    pub const fn plus_millis(self, millis: i64) -> Self {
        Self(self.0 + millis)
    }

    /// This time plus a whole number of days (negative to go back).
    pub const fn plus_days(self, days: i64) -> Self {
        Self(self.0 + days * Self::DAY_MILLIS)
    }

    /// Whole seconds since the Unix epoch (what automerge records as a change's time).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }
}

/// A source of the current time. Phones pass their system clock; tests pass a
/// clock they control.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(millis)
    }
}

/// A clock that only moves when told to, shared by clones (tests and simulations).
#[derive(Debug, Clone)]
pub struct ManualClock(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
            start.0,
        )))
    }

    /// The time it stands at (also [`Clock::now`], without importing the trait).
    pub fn now(&self) -> Timestamp {
        Timestamp(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// Moves the clock forward by `millis`.
    pub fn advance(&self, millis: i64) {
        self.0
            .fetch_add(millis, std::sync::atomic::Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        ManualClock::now(self)
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_sort_by_time() {
        let a = DocId::new(Timestamp::from_millis(1_700_000_000_000));
        let b = DocId::new(Timestamp::from_millis(1_700_000_001_000));
        assert!(a < b);
        assert_eq!(a.to_string().parse::<DocId>().unwrap(), a);
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert!("not-a-uuid".parse::<DocId>().is_err());
    }
}
