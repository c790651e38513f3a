//! The mail path (MIME parsing, document search, XML, the inbound
//! decision) on arbitrary bytes and on mutated corpus mails: it must
//! always end in a verdict, never in a panic.

use std::path::Path;

use proptest::prelude::*;
use registrar::lifecycle::NoticePolicy;
use registrar::ports::SystemClock;
use registrar::reply_address::ReplyAddress;
use registrar::testing::MemoryStore;
use registrar::workflows::inbound_mail::{Inbound, InboundConfig};

fn inbound() -> Inbound<MemoryStore, SystemClock> {
    Inbound {
        store: MemoryStore::default(),
        clock: SystemClock,
        reply: ReplyAddress::new(
            "internetx@inbound.example.net",
            b"reply-token-secret-0815-abcdef",
        )
        .unwrap(),
        config: InboundConfig::default(),
        notices: NoticePolicy::default(),
    }
}

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/mail");
    let mut mails: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    mails.sort();
    assert!(mails.len() >= 10, "corpus missing in {}", dir.display());
    mails
}

fn run(raw: &[u8]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let verdict = rt
        .block_on(inbound().handle("inbound/prop", raw))
        .expect("memory store never fails");
    assert!(!verdict.reason.is_empty());
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Cut),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..512).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                b"<response>".to_vec(),
                b"</response>".to_vec(),
                b"<system>".to_vec(),
                b"<!DOCTYPE x [<!ENTITY a \"b\">]>".to_vec(),
                b"&amp;".to_vec(),
                b"&x;".to_vec(),
                b"\r\n--XyZ\r\n".to_vec(),
                b"=\r\n".to_vec(),
                b"=C3".to_vec(),
                b"Content-Type: multipart/mixed; boundary=\"q\"\r\n".to_vec(),
                b"<job><ctid>".to_vec(),
            ])
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
    ]
}

fn apply(mut raw: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = raw.len().max(1);
        match m {
            Mutation::Flip(i, b) => {
                if !raw.is_empty() {
                    raw[i % len] = *b;
                }
            }
            Mutation::Cut(i) => raw.truncate(i % len),
            Mutation::Insert(i, v) => {
                let at = (i % len).min(raw.len());
                raw.splice(at..at, v.iter().copied());
            }
            Mutation::Duplicate(i, n) => {
                let at = (i % len).min(raw.len());
                let end = (at + n).min(raw.len());
                let piece = raw[at..end].to_vec();
                raw.splice(at..at, piece);
            }
        }
    }
    raw
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..4096)) {
        run(&raw);
    }

    #[test]
    fn mutated_corpus_mails_never_panic(index in any::<usize>(), mutations in prop::collection::vec(mutation(), 1..8)) {
        let corpus = corpus();
        let raw = apply(corpus[index % corpus.len()].clone(), &mutations);
        run(&raw);
    }
}

#[test]
fn every_corpus_mail_gets_a_verdict() {
    for raw in corpus() {
        run(&raw);
    }
}
