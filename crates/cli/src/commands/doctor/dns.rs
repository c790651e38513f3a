//! The one DNS question `doctor` asks — which hosts receive mail for a
//! domain (MX) — over UDP to the system's resolver, in the wire format of
//! RFC 1035. A resolver crate would be most of the CLI's build for it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;

const MX: u16 = 15;
const IN: u16 = 1;

/// The first `nameserver` of /etc/resolv.conf.
pub fn system_resolver() -> Option<SocketAddr> {
    let conf = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    conf.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|addr| addr.trim().parse::<std::net::IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .next()
}

/// The MX records of `domain` (preference, host without the final dot),
/// lowest preference first.
pub async fn mx(domain: &str, resolver: SocketAddr) -> Result<Vec<(u16, String)>, String> {
    let id: u16 = rand_id();
    let query = question(id, domain)?;
    let bind = if resolver.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(bind)
        .await
        .map_err(|e| format!("no UDP socket: {e}"))?;
    socket
        .connect(resolver)
        .await
        .map_err(|e| format!("resolver {resolver}: {e}"))?;
    let mut buf = vec![0u8; 4096];
    for _ in 0..2 {
        socket
            .send(&query)
            .await
            .map_err(|e| format!("resolver {resolver}: {e}"))?;
        match tokio::time::timeout(Duration::from_secs(3), socket.recv(&mut buf)).await {
            Ok(Ok(n)) => {
                let mut records = answer(&buf[..n], id)?;
                records.sort();
                return Ok(records);
            }
            Ok(Err(e)) => return Err(format!("resolver {resolver}: {e}")),
            Err(_) => continue,
        }
    }
    Err(format!("resolver {resolver} did not answer"))
}

fn rand_id() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos ^ std::process::id()) as u16
}

/// A standard query with recursion desired for `domain`'s MX records.
pub fn question(id: u16, domain: &str) -> Result<Vec<u8>, String> {
    let mut q = Vec::with_capacity(32 + domain.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in domain.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("{domain} is not a domain name"));
        }
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&MX.to_be_bytes());
    q.extend_from_slice(&IN.to_be_bytes());
    Ok(q)
}

/// The MX records of an answer to query `id`; a name error is no records.
pub fn answer(packet: &[u8], id: u16) -> Result<Vec<(u16, String)>, String> {
    let short = || "the resolver's answer is cut short".to_owned();
    let header = packet.get(..12).ok_or_else(short)?;
    if u16::from_be_bytes([header[0], header[1]]) != id {
        return Err("the resolver answered another question".into());
    }
    match header[3] & 0x0f {
        0 => {}
        3 => return Ok(Vec::new()),
        code => return Err(format!("the resolver refused (RCODE {code})")),
    }
    let questions = u16::from_be_bytes([header[4], header[5]]);
    let answers = u16::from_be_bytes([header[6], header[7]]);
    let mut at = 12;
    for _ in 0..questions {
        at = skip_name(packet, at).ok_or_else(short)? + 4;
    }
    let mut records = Vec::new();
    for _ in 0..answers {
        at = skip_name(packet, at).ok_or_else(short)?;
        let fixed = packet.get(at..at + 10).ok_or_else(short)?;
        let kind = u16::from_be_bytes([fixed[0], fixed[1]]);
        let length = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
        let data = at + 10;
        packet.get(data..data + length).ok_or_else(short)?;
        if kind == MX && length >= 3 {
            let preference = u16::from_be_bytes([packet[data], packet[data + 1]]);
            records.push((preference, read_name(packet, data + 2).ok_or_else(short)?));
        }
        at = data + length;
    }
    Ok(records)
}

/// Where the name at `at` ends.
fn skip_name(packet: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *packet.get(at)? as usize;
        if len == 0 {
            return Some(at + 1);
        }
        if len & 0xc0 == 0xc0 {
            return Some(at + 2);
        }
        at += 1 + len;
    }
}

/// The name at `at`, following compression pointers (a bounded number of
/// them: a pointer loop is a broken answer, not a hang).
fn read_name(packet: &[u8], mut at: usize) -> Option<String> {
    let mut labels: Vec<String> = Vec::new();
    for _ in 0..128 {
        let len = *packet.get(at)? as usize;
        if len == 0 {
            return Some(labels.join("."));
        }
        if len & 0xc0 == 0xc0 {
            at = ((len & 0x3f) << 8) | *packet.get(at + 1)? as usize;
            continue;
        }
        let label = packet.get(at + 1..at + 1 + len)?;
        labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
        at += 1 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer as a resolver sends it: the question, then one MX record
    /// whose exchange name points back into the question (compression).
    fn reply(id: u16, domain: &str) -> Vec<u8> {
        let mut p = question(id, domain).unwrap();
        p[2] = 0x81;
        p[3] = 0x80;
        p[7] = 1;
        p.extend_from_slice(&[0xc0, 12]);
        p.extend_from_slice(&MX.to_be_bytes());
        p.extend_from_slice(&IN.to_be_bytes());
        p.extend_from_slice(&300u32.to_be_bytes());
        let exchange = b"\x0cinbound-smtp\x09eu-west-1\x09amazonaws\xc0\x14";
        p.extend_from_slice(&((2 + exchange.len()) as u16).to_be_bytes());
        p.extend_from_slice(&10u16.to_be_bytes());
        p.extend_from_slice(exchange);
        p
    }

    #[test]
    fn an_mx_answer_with_compressed_names_is_read() {
        // "inbound.example.com": offset 12 + 8 ("inbound") = 20 is "example.com".
        let packet = reply(7, "inbound.example.com");
        assert_eq!(
            answer(&packet, 7).unwrap(),
            vec![(
                10,
                "inbound-smtp.eu-west-1.amazonaws.example.com".to_owned()
            )]
        );
    }

    #[test]
    fn broken_answers_are_errors_not_panics() {
        let packet = reply(7, "inbound.example.com");
        for cut in 0..packet.len() {
            let _ = answer(&packet[..cut], 7);
        }
        assert!(answer(&packet, 8).is_err(), "another question's answer");
        let mut looped = packet.clone();
        let at = looped.len() - 2;
        looped[at] = 0xc0;
        looped[at + 1] = (at - 23) as u8;
        let _ = answer(&looped, 7);
    }
}
