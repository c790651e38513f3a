//! A function's failure, as Lambda reports it: its `errorType` says whether
//! the same input may succeed later (`Retryable`: a table or bucket briefly
//! away, throttling — Lambda's retries and the dead-letter queue's replay
//! are worth it) or never will (`NonRetryable`: an event that cannot be
//! read, a defect). CloudWatch, the dead-letter queue's `ErrorMessage`
//! attribute and the Runtime API show that word instead of a Rust type
//! name; the cause stays a typed source.

use registrar::ports::StoreError;

type Cause = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// The same input may succeed later.
    #[error("{0}")]
    Retryable(#[source] Cause),
    /// The same input fails the same way every time.
    #[error("{0}")]
    NonRetryable(#[source] Cause),
}

impl FunctionError {
    pub fn retryable(cause: impl Into<Cause>) -> Self {
        Self::Retryable(cause.into())
    }

    pub fn non_retryable(cause: impl Into<Cause>) -> Self {
        Self::NonRetryable(cause.into())
    }

    /// What went wrong.
    pub fn cause(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        match self {
            Self::Retryable(c) | Self::NonRetryable(c) => c.as_ref(),
        }
    }

    /// The `errorType` Lambda reports.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Retryable(_) => "Retryable",
            Self::NonRetryable(_) => "NonRetryable",
        }
    }
}

impl From<StoreError> for FunctionError {
    fn from(e: StoreError) -> Self {
        if e.is_transient() {
            Self::Retryable(Box::new(e))
        } else {
            Self::NonRetryable(Box::new(e))
        }
    }
}

impl From<serde_json::Error> for FunctionError {
    fn from(e: serde_json::Error) -> Self {
        Self::NonRetryable(Box::new(e))
    }
}

impl From<FunctionError> for lambda_runtime::Diagnostic {
    fn from(e: FunctionError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.error_type().to_owned(),
            // The cause's chain (this error's own text is the cause's).
            error_message: internetx::error_chain(e.cause()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_s_own_classification_decides_the_error_type() {
        let away: FunctionError = StoreError::Unavailable("throttled".into()).into();
        let diagnostic = lambda_runtime::Diagnostic::from(away);
        assert_eq!(diagnostic.error_type, "Retryable");
        assert!(diagnostic.error_message.contains("throttled"));
        let bad: FunctionError = StoreError::Malformed("no pk".into()).into();
        assert_eq!(bad.error_type(), "NonRetryable");
        let source = std::error::Error::source(&bad).expect("the cause is kept");
        assert!(
            source.downcast_ref::<StoreError>().is_some(),
            "typed, not a string"
        );
    }
}
