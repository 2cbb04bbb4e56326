//! The values projection rows are made of.

/// A value in a projection row, of a type both databases share.
#[derive(Debug, Clone)]
pub(super) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

impl Value {
    /// The value as the database gives it back cast to text.
    pub(super) fn as_text(&self) -> Option<String> {
        match self {
            Self::Int(v) => v.map(|v| v.to_string()),
            Self::Text(v) => v.clone(),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Self::Text(v.map(str::to_owned))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Self::Text(v)
    }
}
