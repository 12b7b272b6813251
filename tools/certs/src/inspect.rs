//! 证书自己说了什么：它适用于哪些名字，什么时候到期。
//!
//! tls-server says both at start, so that a certificate made for other
//! names (or long expired) is noticed before a class of clients fails on it.
//! rustls checks certificates but does not list what is in them, so this
//! module reads the two fields itself from the certificate's DER bytes
//! (X.509, RFC 5280): the validity's `notAfter`, and the `dNSName` and
//! `iPAddress` entries of the subjectAltName extension, the only names
//! clients check today. Everything else is skipped unread. A certificate
//! this reader cannot follow gives `None`, never a panic: rustls, which
//! reads it properly, has the last word on whether it is usable.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// What a certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The names it is valid for, as a client checks them.
    pub names: Vec<String>,
    /// The end of its validity.
    pub not_after: Expiry,
}

/// A moment in UTC, as the certificate writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    pub year: i64,
    pub month: u8,
    pub day: u8,
    /// Seconds since 1970-01-01 00:00:00 UTC.
    pub unix: i64,
}

impl Expiry {
    /// `2027-12-01`
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// Whole days from now until it (negative once passed).
    pub fn days_left(&self, now: SystemTime) -> i64 {
        let now = match now.duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        };
        (self.unix - now).div_euclid(24 * 60 * 60)
    }
}

/// DER tags used here.
const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OID: u8 = 0x06;
const BOOLEAN: u8 = 0x01;
const OCTET_STRING: u8 = 0x04;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// `[0] EXPLICIT Version` and `[3] EXPLICIT Extensions` in TBSCertificate.
const VERSION: u8 = 0xa0;
const EXTENSIONS: u8 = 0xa3;
/// GeneralName's `[2] dNSName` and `[7] iPAddress` (implicit, primitive).
const DNS_NAME: u8 = 0x82;
const IP_ADDRESS: u8 = 0x87;
/// id-ce-subjectAltName, 2.5.29.17.
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// Reads the names and the expiry of one DER certificate.
pub fn summarize(der: &[u8]) -> Option<Summary> {
    let certificate = Der(der).take(SEQUENCE)?;
    let mut tbs = Der(Der(certificate).take(SEQUENCE)?);
    if tbs.peek() == Some(VERSION) {
        tbs.next()?;
    }
    tbs.take(INTEGER)?; // serialNumber
    tbs.take(SEQUENCE)?; // signature algorithm
    tbs.take(SEQUENCE)?; // issuer
    let mut validity = Der(tbs.take(SEQUENCE)?);
    validity.next()?; // notBefore
    let not_after = time(validity.next()?)?;
    tbs.take(SEQUENCE)?; // subject
    tbs.take(SEQUENCE)?; // subjectPublicKeyInfo
    let mut names = Vec::new();
    // issuerUniqueID and subjectUniqueID (rare) are skipped like anything else.
    while let Some((tag, value)) = tbs.next() {
        if tag == EXTENSIONS {
            names = alt_names(value)?;
        }
    }
    Some(Summary { names, not_after })
}

/// The names in the subjectAltName extension, if there is one.
fn alt_names(extensions: &[u8]) -> Option<Vec<String>> {
    let mut list = Der(Der(extensions).take(SEQUENCE)?);
    while let Some(extension) = list.next() {
        let mut extension = match extension {
            (SEQUENCE, value) => Der(value),
            _ => return None,
        };
        let id = extension.take(OID)?;
        if extension.peek() == Some(BOOLEAN) {
            extension.next()?; // critical
        }
        let value = extension.take(OCTET_STRING)?;
        if id == SUBJECT_ALT_NAME {
            return general_names(value);
        }
    }
    Some(Vec::new())
}

fn general_names(value: &[u8]) -> Option<Vec<String>> {
    let mut list = Der(Der(value).take(SEQUENCE)?);
    let mut names = Vec::new();
    while let Some((tag, name)) = list.next() {
        match tag {
            DNS_NAME => names.push(String::from_utf8_lossy(name).into_owned()),
            IP_ADDRESS => names.push(ip(name)?.to_string()),
            _ => {} // e-mail addresses, URIs…: no client checks them for a server.
        }
    }
    Some(names)
}

fn ip(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(IpAddr::from(v4));
    }
    <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from)
}

/// UTCTime `YYMMDDHHMMSSZ` (years 1950 to 2049) or GeneralizedTime
/// `YYYYMMDDHHMMSSZ`, the two forms RFC 5280 allows.
fn time((tag, value): (u8, &[u8])) -> Option<Expiry> {
    let text = std::str::from_utf8(value).ok()?;
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| digits.get(range)?.parse::<i64>().ok();
    let (year, rest) = match (tag, digits.len()) {
        (UTC_TIME, 12) => {
            let short = number(0..2)?;
            (
                if short >= 50 {
                    1900 + short
                } else {
                    2000 + short
                },
                2,
            )
        }
        (GENERALIZED_TIME, 14) => (number(0..4)?, 4),
        _ => return None,
    };
    let field = |at: usize| number(rest + at..rest + at + 2);
    let (month, day) = (field(0)?, field(2)?);
    let (hour, minute, second) = (field(4)?, field(6)?, field(8)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(Expiry {
        year,
        month: u8::try_from(month).ok()?,
        day: u8::try_from(day).ok()?,
        unix: days * 86_400 + hour * 3_600 + minute * 60 + second,
    })
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A reader of DER's tag-length-value items, one after another.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }

    /// The next item's tag and contents. Only the single-byte tags that
    /// certificates use, and lengths up to four bytes.
    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.0.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (length, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return None;
            }
            let bytes = rest.get(..count)?;
            let length = bytes
                .iter()
                .fold(0usize, |length, &byte| (length << 8) | usize::from(byte));
            (length, rest.get(count..)?)
        };
        let contents = rest.get(..length)?;
        self.0 = rest.get(length..)?;
        Some((tag, contents))
    }

    /// The next item's contents if it has `tag`.
    fn take(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.next()? {
            (found, contents) if found == tag => Some(contents),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic in a test is a failed test
    use super::*;

    fn certificate(names: &[&str], not_after: (i32, u8, u8)) -> Vec<u8> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        let (year, month, day) = not_after;
        params.not_after = rcgen::date_time_ymd(year, month, day);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn names_and_expiry_are_read_from_a_real_certificate() {
        let der = certificate(
            &["localhost", "127.0.0.1", "::1", "teacher.local"],
            (2031, 2, 28),
        );
        let summary = summarize(&der).unwrap();
        assert_eq!(
            summary.names,
            ["localhost", "127.0.0.1", "::1", "teacher.local"]
        );
        assert_eq!(summary.not_after.date(), "2031-02-28");
        // 2031-02-28T00:00:00Z, as `date -u -d 2031-02-28 +%s` says.
        assert_eq!(summary.not_after.unix, 1_930_003_200);
        // A date past 2049 is a GeneralizedTime.
        let far = summarize(&certificate(&["a.test"], (2055, 1, 1))).unwrap();
        assert_eq!(far.not_after.date(), "2055-01-01");
    }

    #[test]
    fn days_left_count_whole_days_either_way() {
        let expiry = summarize(&certificate(&["a.test"], (2030, 1, 11)))
            .unwrap()
            .not_after;
        let at = |unix: u64| UNIX_EPOCH + std::time::Duration::from_secs(unix);
        let ten_days_before = expiry.unix as u64 - 10 * 86_400;
        assert_eq!(expiry.days_left(at(ten_days_before)), 10);
        assert_eq!(expiry.days_left(at(expiry.unix as u64 + 1)), -1);
    }

    #[test]
    fn calendar_arithmetic_matches_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
    }

    /// Cut or garbled certificates give `None`, never a panic.
    #[test]
    fn anything_else_is_none_without_a_panic() {
        let der = certificate(&["localhost"], (2030, 1, 1));
        for end in 0..der.len() {
            assert_eq!(summarize(&der[..end]), None, "cut at {end}");
        }
        let mut state: u32 = 21;
        for _ in 0..2000 {
            let mut bytes = der.clone();
            for _ in 0..4 {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let at = state as usize % bytes.len();
                bytes[at] = (state >> 16) as u8;
            }
            let _ = summarize(&bytes);
        }
        assert_eq!(summarize(b""), None);
        assert_eq!(summarize(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }
}
