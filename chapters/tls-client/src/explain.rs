//! 握手失败时的说明：把 rustls 的错误变成一句说明原因、给出办法的中文。
//!
//! rustls reports a failure as an `io::Error` of kind `InvalidData` wrapping
//! a `rustls::Error`. The certificate errors below are the ones a learner
//! meets with self-signed certificates, each with its fix:
//!
//! | rustls 0.23 error                                  | cause                                  |
//! |----------------------------------------------------|----------------------------------------|
//! | `InvalidCertificate(UnknownIssuer)`                | `--ca` names another certificate       |
//! | `InvalidCertificate(BadSignature)`                 | … another one with the same subject    |
//! | `InvalidCertificate(NotValidForNameContext {..})`  | the address is not a name in the cert  |
//! | `InvalidCertificate(Other(..))` `CaUsedAsEndEntity` | a CA:TRUE cert used as the server's   |
//! | `InvalidCertificate(ExpiredContext {..})`          | the certificate's end date has passed  |
//!
//! webpki's `CaUsedAsEndEntity` has no `CertificateError` variant of its own
//! in rustls 0.23: it arrives wrapped in `CertificateError::Other`, so it is
//! recognised by its text rather than by adding `rustls-webpki` as a
//! dependency just to name the type.

use std::io::{self, ErrorKind};

use anyhow::anyhow;
use common::addr::HostPort;
use common::{CLIENT_TIMEOUT, TCP_REPLY, errors, show_bytes};
use rustls::{CertificateError, InvalidMessage};

// ANCHOR: handshake
/// Why the handshake with `server` failed, as one line with a fix.
pub fn handshake(error: &io::Error, server: &HostPort, ca_file: &str) -> anyhow::Error {
    let why = match tls_error(error) {
        Some(rustls::Error::InvalidCertificate(e)) => certificate(e, server, ca_file),
        Some(rustls::Error::InvalidMessage(
            InvalidMessage::InvalidContentType
            | InvalidMessage::UnknownProtocolVersion
            | InvalidMessage::MessageTooLarge,
        )) => NOT_TLS.to_string(),
        Some(rustls::Error::AlertReceived(alert)) => {
            format!("服务器中止了握手（TLS 警报 {alert:?}）")
        }
        Some(rustls::Error::PeerIncompatible(why)) => format!(
            "服务器与本客户端没有共同支持的 TLS 版本或算法（{why:?}）；本客户端只用 TLS 1.3 和 1.2"
        ),
        Some(rustls::Error::InvalidMessage(InvalidMessage::HandshakePayloadTooLarge)) => {
            "服务器发来的握手消息太大，超过了 rustls 允许的上限：这不是正常的 TLS 服务器"
                .to_string()
        }
        Some(other) => format!("服务器不按 TLS 协议行事（{other}）"),
        None => match error.kind() {
            ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset => {
                format!("服务器在握手完成前就关闭了连接。{MAYBE_PLAIN}")
            }
            _ if errors::is_timeout(error) => format!(
                "{} 秒内没有完成握手。服务器可能正忙着服务别的客户端（tls-server 一次只服务一个，排在不说话的客户端后面就要等），也可能它不是 TLS 服务器（例如 tcp-server）：请稍后再试，并确认地址和端口是 tls-server 打印的那个",
                CLIENT_TIMEOUT.as_secs()
            ),
            _ => return errors::exchange(server, error, CLIENT_TIMEOUT),
        },
    };
    anyhow!("与 {server} 的 TLS 握手失败：{why}")
}
// ANCHOR_END: handshake

/// A plaintext reply: its first byte is no TLS record type.
const NOT_TLS: &str = "服务器回复的不是 TLS 数据，它是一个普通的 TCP 服务器（例如 tcp-server）。请连接 tls-server，或者用 tcp-client 连普通服务器";

/// A server that closes or stays silent on our ClientHello.
const MAYBE_PLAIN: &str =
    "它可能不是 TLS 服务器（例如 tcp-server），请确认地址和端口是 tls-server 打印的那个";

// ANCHOR: certificate
/// What is wrong with the server's certificate, and what to do about it.
fn certificate(error: &CertificateError, server: &HostPort, ca_file: &str) -> String {
    match error {
        CertificateError::UnknownIssuer => format!(
            "服务器的证书不是 {ca_file} 里的证书，也不是它签发的（UnknownIssuer）。客户端信任的文件不对：请用 --ca 指向这台服务器自己的 server.crt（tls-server 在它的工作目录里生成的那个）"
        ),
        // 两张主体（subject）相同的自签名证书：客户端把 --ca 那张当成了签发者，验签失败。
        CertificateError::BadSignature => format!(
            "服务器的证书与 {ca_file} 同名，但不是同一张：用 {ca_file} 验证它的签名失败了（BadSignature）。{ca_file} 多半是另一次生成的证书（例如服务器后来重新生成过）：请用 --ca 指向服务器现在用的 server.crt"
        ),
        CertificateError::NotValidForNameContext { presented, .. } => {
            wrong_name(server, presented)
        }
        CertificateError::NotValidForName => format!(
            "服务器的证书上没有 \"{}\" 这个名字（NotValidForName）。请用证书上的名字连接，或者重新生成一张包含它的证书",
            server.host
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "服务器的证书已经过期（Expired）。请重新生成证书：如果是 tls-server 生成的，删掉它目录里的 server.crt 和 server.key，再启动一次 tls-server".to_string()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "服务器的证书还没到生效时间（NotValidYet）。请检查服务器和本机的系统时间".to_string()
        }
        CertificateError::Other(other) if other.to_string().contains("CaUsedAsEndEntity") => {
            "服务器的证书是一张 CA 证书（CA:TRUE），不能直接当服务器证书用（CaUsedAsEndEntity）。直接运行 openssl req -x509 得到的就是这种证书：生成时加上 -addext basicConstraints=critical,CA:FALSE -addext subjectAltName=DNS:localhost,IP:127.0.0.1，或者让 tls-server 自己生成一张".to_string()
        }
        other => format!("服务器的证书没有通过验证（{other:?}）"),
    }
}
// ANCHOR_END: certificate

fn wrong_name(server: &HostPort, presented: &[String]) -> String {
    let (host, port) = (&server.host, server.port);
    let names: Vec<String> = presented.iter().map(|name| plain_name(name)).collect();
    let Some(first) = names.first() else {
        return format!(
            "服务器的证书上没有任何名字（没有 subjectAltName），什么地址都验证不了。请重新生成一张包含 {host} 的证书：用 openssl 时加上 -addext subjectAltName=DNS:localhost,IP:127.0.0.1，或者让 tls-server 自己生成一张"
        );
    };
    // 写成 [::1]:9999 这样的地址时 IPv6 要加方括号。
    let example = HostPort {
        host: first.clone(),
        port,
    };
    format!(
        "服务器的证书上没有 \"{host}\" 这个名字（证书上的名字：{}）。只有证书上列出的名字能通过验证，IP 地址也要作为 IP 写进证书：请用证书上的名字连接，例如 {example}，或者重新生成一张包含 {host} 的证书",
        names.join("、")
    )
}

/// `DnsName("localhost")` or `IpAddress(127.0.0.1)` (webpki's Debug text
/// for a name in the certificate) as `localhost` or `127.0.0.1`.
fn plain_name(presented: &str) -> String {
    let inner = presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(presented);
    let inner = inner.trim_matches('"');
    // webpki writes an IPv6 name unshortened (`0::1`); std's IpAddr prints `::1`.
    // A name comes from the server's certificate, which anyone can make: shown escaped.
    match inner.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => common::show_text(inner),
    }
}

/// Why talking failed after the handshake. A TLS error is named; the rest
/// (timeouts, resets) get common's sentences.
pub fn exchange(server: &HostPort, error: &io::Error) -> anyhow::Error {
    match (error.kind(), tls_error(error)) {
        (ErrorKind::UnexpectedEof, _) => {
            anyhow!("服务器 {server} 没有回复任何数据就关闭了连接")
        }
        (_, Some(e)) => anyhow!("与 {server} 通信时出错: TLS 错误（{e}）"),
        _ => errors::exchange(server, error, CLIENT_TIMEOUT),
    }
}

/// A reply that ended without `close_notify` and is not the whole reply:
/// it may have been cut off on the way, so it is not shown as the answer.
pub fn cut_off(server: &HostPort, data: &[u8]) -> anyhow::Error {
    anyhow!(
        "{server} 没有发送 close_notify 就关闭了连接，收到的 {} 字节（“{}”）不是完整的回复“{TCP_REPLY}”：回复可能在途中被截断了，不能当真。请重试；总是这样的话，检查服务器和网络",
        data.len(),
        show_bytes(data)
    )
}

/// The `rustls::Error` inside an `io::Error`. rustls reports a TLS failure
/// through `complete_io` or `Stream` as an `io::Error` of kind `InvalidData`
/// that wraps it; this unwraps it so a message can name what went wrong.
fn tls_error(error: &io::Error) -> Option<&rustls::Error> {
    error.get_ref()?.downcast_ref::<rustls::Error>()
}

#[cfg(test)]
mod tests {
    use super::plain_name;

    #[test]
    fn certificate_names_are_shown_as_a_learner_writes_them() {
        assert_eq!(plain_name("DnsName(\"localhost\")"), "localhost");
        assert_eq!(plain_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(plain_name("IpAddress(0::1)"), "::1");
        // A hostile server's certificate cannot reach the terminal raw.
        let hidden = "DnsName(\"a\u{202e}b\u{e0041}\")";
        assert_eq!(plain_name(hidden), "a\\u{202e}b\\u{e0041}");
    }
}
