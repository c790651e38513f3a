//! Which result settles which operation.
use super::*;
use crate::status::Operation;
use internetx::response::AnswerKind;
use internetx::response::StatusInfo;

fn job(code: &str, kind: AnswerKind) -> JobResult {
    JobResult {
        server_ids: Vec::new(),
        ctids: vec!["ib-1".into()],
        status: StatusInfo {
            code: code.into(),
            text: String::new(),
            kind,
            object: None,
        },
        domain: None,
        nic_responses: vec![],
        messages: vec![],
        message_id: None,
        job_id: None,
    }
}

#[test]
fn only_the_final_result_settles_an_operation() {
    use AnswerKind::*;
    use Operation::*;
    let cases = [
        (Register, "S0101", Success, Settlement::Success),
        (Register, "E0101", Error, Settlement::Failure),
        (Register, "N0101", Notify, Settlement::Pending),
        (Register, "S0301", Success, Settlement::Pending),
        (Transfer, "S0104", Success, Settlement::Pending),
        (Transfer, "E0104", Error, Settlement::Failure),
        (Transfer, "S0104001", Success, Settlement::Success),
        (Transfer, "E0104001", Error, Settlement::Failure),
        (Transfer, "E0302", Error, Settlement::Pending),
        (UpdateNameservers, "S0102", Success, Settlement::Success),
        (UpdateNameservers, "S0102008", Success, Settlement::Success),
        (UpdateContacts, "S0104011", Success, Settlement::Success),
        (UpdateContacts, "E0104010", Error, Settlement::Failure),
        (UpdateContacts, "S0104010", Success, Settlement::Pending),
        (Cancel, "S0103101", Success, Settlement::Success),
        (Cancel, "E0103101", Error, Settlement::Failure),
        (Cancel, "S0101", Success, Settlement::Pending),
        // The transfer-out answer's end: S0106, or E0106 — the domain stays
        // (a nack's intended end, D22); 0106002's own refusal fails.
        (AnswerTransferOut, "S0106", Success, Settlement::Success),
        (AnswerTransferOut, "E0106", Error, Settlement::Success),
        (AnswerTransferOut, "E0106002", Error, Settlement::Failure),
        (AnswerTransferOut, "N0106", Notify, Settlement::Pending),
    ];
    for (operation, code, kind, expected) in cases {
        assert_eq!(
            settlement(operation, &job(code, kind)),
            expected,
            "{operation} {code}"
        );
    }
    // A bare job state speaks for the job itself.
    assert_eq!(settlement(Transfer, &job("", Success)), Settlement::Success);
}
