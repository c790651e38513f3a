//! `nack_reason`: why the holder refuses an outgoing transfer. The Transfer
//! object types it as the enum `nack_reason` ("only for type nack, mandatory
//! here", https://help.internetx.com/pages/viewpage.action?pageId=43811817),
//! the OpenAPI's `TransferOut.nackReason` as an int32, and InterNetX's own
//! PHP SDK (`InterNetX/php-domainrobot-sdk`, `src/Service/TransferOutService.php`)
//! lists the six values — the ICANN Transfer Policy's grounds for denial. A
//! text is not among them: it is refused here, before anything is sent.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NackReason {
    /// 1: evidence of fraud.
    Fraud,
    /// 2: a current UDRP action.
    Udrp,
    /// 3: a court order.
    CourtOrder,
    /// 4: a dispute over the registrant's identity.
    IdentityDispute,
    /// 5: no payment for the previous registration period.
    NonPayment,
    /// 6: the transfer contact's express written objection.
    WrittenObjection,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{given:?} is not one of InterNetX's nack reasons: {}",
    NackReason::choices()
)]
pub struct UnknownNackReason {
    pub given: String,
}

impl NackReason {
    pub const ALL: [NackReason; 6] = [
        NackReason::Fraud,
        NackReason::Udrp,
        NackReason::CourtOrder,
        NackReason::IdentityDispute,
        NackReason::NonPayment,
        NackReason::WrittenObjection,
    ];

    /// What the gateway is sent.
    pub fn number(self) -> u8 {
        match self {
            NackReason::Fraud => 1,
            NackReason::Udrp => 2,
            NackReason::CourtOrder => 3,
            NackReason::IdentityDispute => 4,
            NackReason::NonPayment => 5,
            NackReason::WrittenObjection => 6,
        }
    }

    /// The name an operator may give instead of the number.
    pub fn name(self) -> &'static str {
        match self {
            NackReason::Fraud => "fraud",
            NackReason::Udrp => "udrp",
            NackReason::CourtOrder => "court-order",
            NackReason::IdentityDispute => "identity-dispute",
            NackReason::NonPayment => "non-payment",
            NackReason::WrittenObjection => "written-objection",
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            NackReason::Fraud => "evidence of fraud",
            NackReason::Udrp => "a current UDRP action",
            NackReason::CourtOrder => "a court order",
            NackReason::IdentityDispute => "a dispute over the registrant's identity",
            NackReason::NonPayment => "no payment for the previous registration period",
            NackReason::WrittenObjection => "the transfer contact's express written objection",
        }
    }

    /// `1 (fraud), 2 (udrp), …`: what an error message offers.
    pub fn choices() -> String {
        NackReason::ALL
            .iter()
            .map(|r| format!("{} ({})", r.number(), r.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl FromStr for NackReason {
    type Err = UnknownNackReason;

    /// The number or the name (any case, `_` for `-`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let given = text.trim().to_ascii_lowercase().replace('_', "-");
        NackReason::ALL
            .into_iter()
            .find(|r| given == r.number().to_string() || given == r.name())
            .ok_or_else(|| UnknownNackReason {
                given: text.to_owned(),
            })
    }
}

impl fmt::Display for NackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.number(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_its_number_or_its_name() {
        assert_eq!("3".parse(), Ok(NackReason::CourtOrder));
        assert_eq!(" Court_Order ".parse(), Ok(NackReason::CourtOrder));
        assert_eq!("6".parse(), Ok(NackReason::WrittenObjection));
        for r in NackReason::ALL {
            assert_eq!(r.number().to_string().parse(), Ok(r));
            assert_eq!(r.name().parse(), Ok(r));
        }
    }

    #[test]
    fn text_and_numbers_outside_one_to_six_are_refused_with_the_choices() {
        for bad in ["0", "7", "holder-objects", "locked", "", "1 2"] {
            let err = bad.parse::<NackReason>().unwrap_err();
            assert!(err.to_string().contains("1 (fraud)"), "{err}");
            assert!(err.to_string().contains("6 (written-objection)"), "{err}");
        }
    }
}
