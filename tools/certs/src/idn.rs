//! 国际化域名（例子.中国）的 ASCII 写法（xn--fsqu00a.xn--fiqs8s）。
//!
//! DNS, certificates and TLS's name check all work in ASCII. A name in
//! another script is written there label by label as `xn--` followed by its
//! Punycode (RFC 3492), which a browser computes silently. `--name` does not
//! guess for the learner; it refuses a non-ASCII name and shows this form,
//! so that the certificate, the client and the learner all use one spelling.
//!
//! This is the encoding of RFC 3492 with the mapping that matters for the
//! names a learner types: lower case, and the ideographic full stops
//! (`。`, `．`, `｡`) as label separators, as UTS #46 maps them. It does not
//! normalise (NFC) or check a label's script, which a full IDNA library
//! would; a form computed from an odd input is only a suggestion, checked
//! by the client like any other name.

/// The ASCII form of `name`, or `None` if a label cannot be encoded.
pub fn to_ascii(name: &str) -> Option<String> {
    let name = name.to_lowercase();
    let labels: Vec<String> = name
        .split(['.', '。', '．', '｡'])
        .map(|label| {
            if label.is_ascii() {
                Some(label.to_string())
            } else {
                punycode(label).map(|code| format!("xn--{code}"))
            }
        })
        .collect::<Option<_>>()?;
    Some(labels.join("."))
}

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

/// RFC 3492, section 6.3, without the `xn--` prefix.
fn punycode(label: &str) -> Option<String> {
    let input: Vec<u32> = label.chars().map(u32::from).collect();
    let mut output: String = label.chars().filter(char::is_ascii).collect();
    let basic = u32::try_from(output.len()).ok()?;
    if basic > 0 {
        output.push('-');
    }
    let (mut n, mut delta, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let mut handled = basic;
    let total = u32::try_from(input.len()).ok()?;
    while handled < total {
        let next = input.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((next - n).checked_mul(handled + 1)?)?;
        n = next;
        for &c in &input {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = threshold(k, bias);
                    if q < t {
                        break;
                    }
                    output.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                output.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(output)
}

fn threshold(k: u32, bias: u32) -> u32 {
    if k <= bias {
        T_MIN
    } else if k >= bias + T_MAX {
        T_MAX
    } else {
        k - bias
    }
}

/// 0..=25 → `a`..=`z`, 26..=35 → `0`..=`9`.
fn digit(value: u32) -> char {
    let byte = match value {
        0..=25 => b'a' + value as u8,
        _ => b'0' + (value - 26) as u8,
    };
    char::from(byte)
}

fn adapt(delta: u32, points: u32, first: bool) -> u32 {
    let mut delta = if first { delta / DAMP } else { delta / 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sample strings from RFC 3492, section 7.1, and the issue's name.
    #[test]
    fn the_rfcs_samples_and_the_issues_name() {
        // (B) Chinese (simplified)
        assert_eq!(
            punycode("他们为什么不说中文").as_deref(),
            Some("ihqwcrb4cv8a8dqg056pqjye")
        );
        // (C) Chinese (traditional)
        assert_eq!(
            punycode("他們爲什麽不說中文").as_deref(),
            Some("ihqwctvzc91f659drss3x8bo0yb")
        );
        // (L) 3<nen>B<gumi><kinpachi><sensei>, lowered as a host name is
        assert_eq!(
            punycode("3年b組金八先生").as_deref(),
            Some("3b-ww4c5e180e575a65lsy2b")
        );
        assert_eq!(
            to_ascii("例子.中国").as_deref(),
            Some("xn--fsqu00a.xn--fiqs8s")
        );
        assert_eq!(
            to_ascii("老师。Example。中国").as_deref(),
            Some("xn--ett296e.example.xn--fiqs8s") // as Python's "idna" codec says
        );
        assert_eq!(to_ascii("plain.test").as_deref(), Some("plain.test"));
    }
}
