//! The simulated registry: what InterNetX's account holds, shared by the
//! gateway's checks and the portfolio and transfer-out tasks.

use std::collections::{HashMap, HashSet};

use internetx::tree::Element;

use crate::answer::Answer;

/// The simulated registry: the domains in the account, their name servers,
/// the jobs still running and the cancelations.
#[derive(Debug, Default)]
pub struct Registry {
    pub domains: HashSet<String>,
    pub nameservers: HashMap<String, Vec<String>>,
    /// Domains with a create or transfer job still running: `true` when
    /// domain info already lists the domain (with a status other than
    /// success), `false` when it answers `E0105` meanwhile.
    pub running: HashMap<String, bool>,
    /// Domains with a cancelation (at expiry) at InterNetX.
    pub cancelations: HashSet<String>,
    /// Domains with a registry transfer lock.
    pub locked: HashSet<String>,
    /// Auth codes (AuthInfo1) that exist, per domain.
    pub authinfo: HashMap<String, String>,
    /// Outgoing transfers another registrar asked for, not yet answered.
    pub transfers_out: HashSet<String>,
    /// Domains whose outgoing transfer was acknowledged: gone when that
    /// job ends.
    pub leaving: HashSet<String>,
    /// Owner handles and their ICANN verifications.
    pub verifications: crate::verification::Verifications,
}

impl Registry {
    /// The final result of a running job was sent: on success the domain
    /// is in the account (done), either way the job is over.
    pub fn finish(&mut self, domain: &str, success: bool) {
        if self.running.remove(domain).is_some() && success {
            self.domains.insert(domain.to_owned());
        }
        if self.leaving.remove(domain) && success {
            self.domains.remove(domain);
            self.cancelations.remove(domain);
        }
    }

    /// "An identical task is already being processed" (EF01030, InterNetX's
    /// error list, e.g. https://help.internetx.com/display/APIXMLEN/Cancelation+Create).
    pub(crate) fn duplicate(&self, name: &str, code: &str, what: &str) -> Option<Answer> {
        self.running.contains_key(name).then(|| {
            Answer::error(
                &format!("E{code}"),
                what,
                Some(("domain", name)),
                "EF01030 An identical task is already being processed.",
            )
        })
    }

    pub(crate) fn set_nameservers(&mut self, name: &str, domain: &Element) {
        let ns: Vec<String> = domain
            .children_named("nserver")
            .filter_map(|n| n.text_at(&["name"]))
            .map(str::to_ascii_lowercase)
            .collect();
        if !ns.is_empty() {
            self.nameservers.insert(name.to_owned(), ns);
        }
    }
}
