//! The one place text from outside is cleaned before it reaches an error, a log line or a span.
//!
//! [`Redactor`] removes, in one pass over the text:
//! - bearer credentials (`Bearer <token>`, any case, after any spaces or tabs) and JWT-looking
//!   strings (`eyJ…`);
//! - the exact values it was told about, with their letters in any case (`José`, `JOSÉ`,
//!   `jOSÉ`), in their URL encodings (forms, `encodeURIComponent`, RFC 3986) and as common JSON
//!   and HTML encoders escape them (`\/`, `\u00e9`, `&#39;`, `&#xE9;`, `&eacute;`...), with
//!   ASCII letters in any case and other letters (or their escapes) as given, all upper case or
//!   all lower case: the secrets of the
//!   call (its token, API key, client secret, password) and the personal data it sent (query
//!   values, string values of its body). A server that echoes a request back in its error
//!   therefore has the echo removed; values that overlap in the text are removed whole.
//!
//! Server text also has the values of secret-named pairs removed however they are quoted
//! (`redact_named_secrets`: `"access_token": …`, the same inside an escaped JSON string or an
//! HTML page, `x-api-key: …`, `password=…`), as JSON documents have their secret members.
//!
//! Values shorter than [`MIN_VALUE_CHARS`] are not removed: they would erase ordinary words and
//! numbers from every message (a `limit` of `10`, a state `CA`).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What JavaScript's `encodeURIComponent` escapes: all but letters, digits and `-_.!~*'()`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// What RFC 3986 escapes in a component: all but letters, digits and `-._~`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Values shorter than this many characters are not redacted (see the module docs).
pub const MIN_VALUE_CHARS: usize = 4;

/// What replaces a removed value.
pub const REDACTED: &str = "[redacted]";

/// The JSON members whose values are never repeated, whoever sent them, as [`secret_key`]
/// compares them: lower case, letters and digits only (`access_token`, `accessToken` and
/// `Access-Token` are all `accesstoken`).
const SECRET_KEYS: &[&str] = &[
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "clientsecret",
    "secretkey",
    "password",
    "authorization",
    "token",
    "apikey",
    // A Data Integration connection's credentials: a map of secrets whose keys vary by type.
    "credentials",
    // A consent file's signed URL (`fileURL`): its query signs the download.
    "fileurl",
    // An OAuth flow's handles: Data Integration's `pull_id` answers the provider's token, and
    // an authorization URL carries the flow's state.
    "pullid",
    "authuri",
    "authorizationurl",
];

/// Whether a member (or a `name: value` pair) named `key` holds a secret, however the name is
/// spelt: its letters and digits, in lower case, end with one of [`SECRET_KEYS`] (`x-api-key`,
/// `csrfToken` and, in a string of escaped JSON, `u0022access_token` too).
pub(crate) fn secret_key(key: &str) -> bool {
    secret_named(key).is_some()
}

/// The entry of [`SECRET_KEYS`] that `key` ends with, as [`secret_key`] compares them.
fn secret_named(key: &str) -> Option<&'static str> {
    /// More of a name's end than any entry of [`SECRET_KEYS`] holds.
    const TAIL: usize = 16;
    const _: () = {
        let mut at = 0;
        while at < SECRET_KEYS.len() {
            assert!(SECRET_KEYS[at].len() <= TAIL);
            at += 1;
        }
    };
    // The end of the name folded, on the stack: every word of a long text is asked.
    let mut tail = [0u8; TAIL];
    let mut start = TAIL;
    for byte in key.bytes().rev().filter(u8::is_ascii_alphanumeric) {
        if start == 0 {
            break;
        }
        start -= 1;
        tail[start] = byte.to_ascii_lowercase();
    }
    let folded = &tail[start..];
    SECRET_KEYS
        .iter()
        .copied()
        .find(|secret| folded.ends_with(secret.as_bytes()))
}

/// How text may quote a name or a value besides a `"` after any number of backslashes (JSON in
/// a JSON string, and so on): HTML's entities, JSON's `\u` escape and `'`.
const QUOTES: [&str; 10] = [
    "\\u0022", "&quot;", "&#x22;", "&#034;", "&#34;", "&#x27;", "&#039;", "&#39;", "&apos;", "'",
];

/// Authorization schemes, whose credential follows them after a space.
const SCHEMES: [&str; 4] = ["basic", "bearer", "digest", "negotiate"];

/// `text` with the value of every secret-named pair ([`secret_key`]) replaced by `[redacted]`,
/// however it is written: a JSON member, JSON in a JSON string (`{\"access_token\":\"…\"}`),
/// in an HTML page (`&quot;password&quot;:&quot;…&quot;`), a header (`x-api-key: …`), a form
/// (`password=…&`). Linear in the text's length.
pub(crate) fn redact_named_secrets(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut out = String::new();
    let (mut copied, mut at) = (0, 0);
    while at < bytes.len() {
        if !is_word(bytes[at]) {
            at += 1;
            continue;
        }
        let word_end = bytes[at..]
            .iter()
            .position(|&b| !is_word(b))
            .map_or(bytes.len(), |length| at + length);
        let word = &text[at..word_end];
        at = word_end;
        let Some(name) = (word.len() <= 64).then(|| secret_named(word)).flatten() else {
            continue;
        };
        // A form's `user[password]=`, a name quoted in any way.
        let (mut after_name, _) = skip_quotes(text, word_end);
        if bytes.get(after_name) == Some(&b']') {
            after_name += 1;
        }
        let separator = skip_whitespace(bytes, after_name);
        let Some(separator_length) = separator_length(text, separator) else {
            continue;
        };
        let (start, quote) =
            skip_quotes(text, skip_whitespace(bytes, separator + separator_length));
        // A credential after its scheme, whatever the spaces between (`Basic\t…`, `AWS4-HMAC-SHA256
        // Credential=…, Signature=…`): the rest of the line.
        let whole_line = name == "authorization";
        let end = value_end(text, start, quote, whole_line);
        if end > start {
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = end;
        }
        at = end.max(at);
    }
    match copied {
        0 => std::borrow::Cow::Borrowed(text),
        _ => {
            out.push_str(&text[copied..]);
            std::borrow::Cow::Owned(out)
        }
    }
}

/// How long the separator of a name and its value at `at` is: `:`, `=`, or either
/// percent-encoded (a pair in a URL's query quoted in another's).
fn separator_length(text: &str, at: usize) -> Option<usize> {
    match text.as_bytes().get(at)? {
        b':' | b'=' => Some(1),
        b'%' => ["%3a", "%3d"]
            .iter()
            .any(|s| {
                text.get(at..at + 3)
                    .is_some_and(|t| t.eq_ignore_ascii_case(s))
            })
            .then_some(3),
        _ => None,
    }
}

/// The offset after the quotes that start at `from` (a `"` after any backslashes, or one of
/// [`QUOTES`], entities in any case), and the last of them as the text writes it.
fn skip_quotes(text: &str, mut from: usize) -> (usize, Option<&str>) {
    let mut last = None;
    while let Some(rest) = text.get(from..) {
        let backslashes = rest.bytes().take_while(|&b| b == b'\\').count();
        let quote = match rest.as_bytes().get(backslashes) {
            Some(b'"') => rest.get(..backslashes + 1),
            _ => QUOTES.iter().find_map(|q| {
                rest.get(..q.len())
                    .filter(|written| written.eq_ignore_ascii_case(q))
            }),
        };
        let Some(quote) = quote else { break };
        from += quote.len();
        last = Some(quote);
    }
    (from, last)
}

/// Where a secret's value that starts at `start` ends: at its closing `quote` (the text's end
/// when it has none), else at the end of a JSON object or array, else at the line's end or a
/// quote for a `whole_line` value, else at a delimiter (with an authorization scheme's
/// credential after it).
fn value_end(text: &str, start: usize, quote: Option<&str>, whole_line: bool) -> usize {
    let bytes = text.as_bytes();
    match quote {
        // A JSON string's own escapes are skipped.
        Some("\"") => string_end(bytes, start - 1).map_or(bytes.len(), |end| end - 1),
        Some(quote) => text[start..]
            .find(quote)
            .map_or(bytes.len(), |length| start + length),
        None if matches!(bytes.get(start), Some(b'{' | b'[')) => json_value_end(bytes, start),
        None if whole_line => bytes[start..]
            .iter()
            .position(|&b| b"\r\n\"'<&".contains(&b))
            .map_or(bytes.len(), |length| start + length),
        None => {
            let word_end = |from: usize| {
                bytes[from..]
                    .iter()
                    .position(|&b| b.is_ascii_whitespace() || b"\"'\\&<>,;)}]".contains(&b))
                    .map_or(bytes.len(), |length| from + length)
            };
            let end = word_end(start);
            let scheme = SCHEMES
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&text[start..end]));
            match scheme && bytes.get(end) == Some(&b' ') {
                true => word_end(end + 1),
                false => end,
            }
        }
    }
}

/// Removes secrets and known values from text; cheap to clone.
#[derive(Clone)]
pub struct Redactor {
    /// `None` only if no automaton could be built: everything is then redacted.
    automaton: Option<Arc<AhoCorasick>>,
    /// Patterns below this index are the built-in markers (see [`MARKERS`]).
    markers: usize,
    /// Whether a value has letters beyond ASCII: text that has some too is then searched with
    /// its letters folded ([`fold`]), as those values' patterns are.
    folds: bool,
    /// The length in characters of the longest value pattern: how much of a text's end may
    /// hold the start of a value that the text's cut split.
    longest: usize,
}

/// Pattern 0: `bearer` (any case; a marker when whitespace follows); pattern 1: `eyJ` (checked
/// case-sensitively on match).
const MARKERS: [&str; 2] = ["bearer", "eyj"];

impl Default for Redactor {
    /// The built-in markers alone, built once per process.
    fn default() -> Self {
        static MARKERS_ONLY: std::sync::LazyLock<Redactor> =
            std::sync::LazyLock::new(|| Redactor::new(std::iter::empty::<&str>()));
        MARKERS_ONLY.clone()
    }
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor([redacted])")
    }
}

impl Redactor {
    /// A redactor of the built-in markers and of `values`, in the forms the module docs list.
    pub fn new<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Self {
        let mut patterns: Vec<String> = MARKERS.iter().map(|m| (*m).to_owned()).collect();
        // Each pattern once, as the automaton compares them: ASCII letters in any case.
        let mut known: HashSet<String> = patterns.iter().cloned().collect();
        let mut kept: HashSet<String> = HashSet::new();
        let mut folds = false;
        let mut pattern_bytes = 0;
        for value in values {
            let value = value.as_ref();
            if value.chars().count() < MIN_VALUE_CHARS || !kept.insert(value.to_owned()) {
                continue;
            }
            // A value is tens of patterns of about its length (its encodings and cases): one
            // past `MAX_VALUE_BYTES` would make megabytes of them, known too large early.
            if value.len() > MAX_VALUE_BYTES || pattern_bytes + value.len() > MAX_PATTERN_BYTES {
                return Self::closed();
            }
            // The automaton ignores case for ASCII only: a value with other letters is searched
            // folded, in text folded alike, so that `José` matches `JOSÉ` and `jOSÉ`; its
            // encodings, which the folding leaves as they are, in upper and lower case.
            let cases = match value.is_ascii() {
                true => vec![value.to_owned()],
                false => {
                    folds = true;
                    // Also from its upper and lower case, which may change its letters' count:
                    // `Straße` echoed as `STRASSE`, `İ` as `i̇`.
                    vec![value.to_owned(), value.to_uppercase(), value.to_lowercase()]
                }
            };
            let mut variants = Vec::new();
            for case in cases {
                let form: String = url::form_urlencoded::byte_serialize(case.as_bytes()).collect();
                let percent = form.replace('+', "%20");
                // JavaScript's `encodeURIComponent`; RFC 3986's unreserved characters alone (Go,
                // Python's `quote`), and with `+` for a space (`QueryEscape`, `quote_plus`).
                let component = utf8_percent_encode(&case, URI_COMPONENT).to_string();
                let unreserved = utf8_percent_encode(&case, UNRESERVED).to_string();
                let unreserved_plus = unreserved.replace("%20", "+");
                // As it is and as a JSON string or an HTML page may write it: folded when it
                // keeps letters beyond ASCII.
                let echoes = echo_forms(&case)
                    .into_iter()
                    .map(|echoed| match echoed.is_ascii() {
                        true => echoed,
                        false => fold(&echoed).0,
                    });
                variants.extend(echoes.chain([
                    form,
                    percent,
                    component,
                    unreserved,
                    unreserved_plus,
                ]));
            }
            for variant in variants {
                if known.insert(variant.to_ascii_lowercase()) {
                    pattern_bytes += variant.len();
                    patterns.push(variant);
                }
            }
            if pattern_bytes > MAX_PATTERN_BYTES {
                return Self::closed();
            }
        }
        let longest = patterns[MARKERS.len()..]
            .iter()
            .map(|pattern| pattern.chars().count())
            .max()
            .unwrap_or(0);
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map(Arc::new);
        match automaton {
            Ok(automaton) => Self {
                markers: MARKERS.len(),
                automaton: Some(automaton),
                folds,
                longest,
            },
            // Patterns are plain strings within `MAX_PATTERN_BYTES`: building can only fail
            // past the automaton's own limits. Fail closed, as past that bound.
            Err(_) => Self::closed(),
        }
    }

    /// A redactor that removes all of any text: what values too many or too long to search
    /// for leave (showing nothing rather than what they hold).
    fn closed() -> Self {
        Self {
            markers: 0,
            automaton: None,
            folds: false,
            longest: 0,
        }
    }

    /// How much of `text`, cut short at some point and not yet redacted, may be shown: not its
    /// end that may hold the start of a known value (as many characters as the longest, a run
    /// of whitespace counting as one, since an echo may spread a value over more), nor then its
    /// last word or token.
    pub(crate) fn whole_part_of_cut(&self, text: &str) -> usize {
        let keep = match self.longest {
            0 => text.len(),
            longest => {
                let mut in_space = false;
                text.char_indices()
                    .rev()
                    .filter(|&(_, c)| {
                        let counts = !(c.is_whitespace() && in_space);
                        in_space = c.is_whitespace();
                        counts
                    })
                    .nth(longest - 1)
                    .map_or(0, |(at, _)| at)
            }
        };
        text[..keep]
            .char_indices()
            .rev()
            .find(|&(_, c)| c.is_whitespace() || "\",;<>{}[]".contains(c))
            .map_or(0, |(at, c)| at + c.len_utf8())
    }

    /// `text` with every secret, bearer credential, JWT and known value replaced by
    /// `[redacted]`, in time linear in its length (times how many patterns can end at one
    /// place, which depends on the values alone).
    pub fn redact(&self, text: &str) -> String {
        let Some(automaton) = &self.automaton else {
            return REDACTED.to_owned();
        };
        let folded = (self.folds && !text.is_ascii()).then(|| fold(text));
        let (haystack, shifts) = match &folded {
            Some((folded, shifts)) => (folded.as_str(), shifts.as_slice()),
            None => (text, &[][..]),
        };
        let mut out = String::with_capacity(text.len());
        // Where the text not yet copied starts: the end of the last removal.
        let mut copied = 0;
        let mut remove = |(start, end): (usize, usize)| {
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = end;
        };
        // Every match is found, overlapping ones too (`Jane Doe` and `Doe Street` in `Jane Doe
        // Street`), in the order they end. The removals not yet made: disjoint ranges of
        // `text` in order, none ending more than `window` bytes before the last match's end,
        // where a match yet to come may start (a pattern's characters are at most 4 bytes each
        // in `text`, and a token followed only extends a match's end).
        let mut pending: VecDeque<(usize, usize)> = VecDeque::new();
        let window = 4 * self.longest.max(MARKERS[0].len());
        // Where the last token followed ends: a token found inside it ends there too, so each
        // character is looked at once however many markers a token holds.
        let mut token_reach = 0;
        for found in automaton.find_overlapping_iter(haystack) {
            // Where the match is in `text` itself: a match starts and ends between characters.
            let (mut start, found_end) = (
                original_offset(shifts, found.start()),
                original_offset(shifts, found.end()),
            );
            let mut end = match (found.pattern().as_usize(), self.markers) {
                // The token after any run of spaces and tabs (`Bearer\t…`, `Bearer  …`).
                (0, 2) => match text[found_end..].find(|c: char| c != ' ' && c != '\t') {
                    Some(skipped) if skipped > 0 => {
                        token_reach = token_end(text, (found_end + skipped).max(token_reach));
                        token_reach
                    }
                    // `Bearer` with no token after it (`WWW-Authenticate: Bearer`).
                    _ => continue,
                },
                (1, 2) if text.get(start..found_end) == Some("eyJ") => {
                    token_reach = token_end(text, found_end.max(token_reach));
                    token_reach
                }
                // `eyj` in another case is no JWT.
                (1, 2) => continue,
                _ => found_end,
            };
            // No match to come starts before `settled`: removals that end before it are final.
            let settled = found_end.saturating_sub(window);
            while let Some(&first) = pending.front()
                && first.1 < settled
            {
                pending.pop_front();
                remove(first);
            }
            // Each removal pending started before this match ended: those that reach its start
            // merge with it.
            while let Some(&(pending_start, pending_end)) = pending.back()
                && pending_end >= start
            {
                (start, end) = (start.min(pending_start), end.max(pending_end));
                pending.pop_back();
            }
            pending.push_back((start, end));
        }
        pending.into_iter().for_each(&mut remove);
        out.push_str(&text[copied..]);
        out
    }
}

/// `value` as it is and as a server may echo it inside a JSON string ([`JSON_ECHOES`]) or an
/// HTML page ([`HTML_ECHOES`]), each form once.
fn echo_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    // Only a character some encoder escapes makes a form that differs.
    let escapable = |c: char| !c.is_ascii() || c < ' ' || "/\"\\<>&='+`".contains(c);
    if value.contains(escapable) {
        for echo in JSON_ECHOES.iter().chain(&HTML_ECHOES) {
            let form = echo.write(value);
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
    }
    forms
}

/// How an encoder writes text: inside a JSON string or in an HTML page.
enum Echo {
    /// A JSON string: `"`, `\` and controls escaped as every encoder must, and more.
    Json {
        /// `/` as `\/`.
        slash: bool,
        /// Characters beyond ASCII as `\u` escapes (UTF-16: a surrogate pair beyond the BMP).
        beyond_ascii: bool,
        /// Characters written as `\u` escapes besides (even `"`).
        as_unicode: &'static str,
    },
    /// HTML: `&`, `<` and `>` as entities, and more.
    Html {
        /// What `"` is written as.
        quote: &'static str,
        /// What `'` is written as.
        apostrophe: &'static str,
        /// Characters beyond ASCII as numeric entities, in hex or decimal.
        beyond_ascii: Option<Radix>,
        /// Characters written as hex entities besides.
        as_hex: &'static str,
    },
}

/// How characters beyond ASCII are written as character references.
#[derive(Clone, Copy, PartialEq)]
enum Radix {
    /// `&#xE9;`.
    Hex,
    /// `&#233;`.
    Decimal,
    /// `&eacute;` where HTML 4 names the character ([`named_entity`]), as it is otherwise.
    Named,
}

/// The names of U+00A0 to U+00FF in HTML 4, in order.
const LATIN_1_ENTITIES: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// The HTML 4 name of `c` among the letters names are written with (Latin-1, `Œœ Šš Ÿ ƒ`).
fn named_entity(c: char) -> Option<&'static str> {
    match c {
        '\u{a0}'..='\u{ff}' => LATIN_1_ENTITIES
            .get(usize::try_from(u32::from(c) - 0xa0).ok()?)
            .copied(),
        'Œ' => Some("OElig"),
        'œ' => Some("oelig"),
        'Š' => Some("Scaron"),
        'š' => Some("scaron"),
        'Ÿ' => Some("Yuml"),
        'ƒ' => Some("fnof"),
        _ => None,
    }
}

/// What JSON encoders escape beyond what they must: nothing (serde_json, JavaScript,
/// Jackson), characters beyond ASCII (Python), those and `/` (PHP), `/` alone (PHP keeping
/// Unicode), `<>&` with U+2028 and U+2029 (Go, Rails), `<>&='` (Gson), `<>&'"+` and the
/// backquote besides all beyond ASCII (.NET). Hex digits need no variants: the automaton
/// ignores ASCII case.
const JSON_ECHOES: [Echo; 7] = [
    Echo::json(false, false, ""),
    Echo::json(false, true, ""),
    Echo::json(true, true, ""),
    Echo::json(true, false, ""),
    Echo::json(false, false, "<>&\u{2028}\u{2029}"),
    Echo::json(false, false, "<>&='"),
    Echo::json(false, true, "<>&'\"+`"),
];

/// How HTML encoders write quotes and the rest: `&quot;` and `&#39;` (Rails), `&#34;` and
/// `&#39;` (Go), `&quot;` and `&#x27;` (Python), `&quot;` and `&#039;` (PHP), `&quot;` and
/// `&apos;` (XML, HTML5), `&quot;` alone, neither (text only); ASP.NET Core's `HtmlEncoder`
/// writes `+` and all beyond ASCII as hex entities, .NET's `WebUtility` what is beyond ASCII in
/// decimal; Java's `escapeHtml4` (`&quot;` alone) and PHP's `htmlentities` (`&quot;`, `&#039;`)
/// name the letters HTML 4 names (`&eacute;`); Handlebars writes `` ` `` and `=` in hex.
const HTML_ECHOES: [Echo; 12] = [
    Echo::html("&quot;", "&#39;", None, ""),
    Echo::html("&#34;", "&#39;", None, ""),
    Echo::html("&quot;", "&#x27;", None, ""),
    Echo::html("&quot;", "&#039;", None, ""),
    Echo::html("&quot;", "&apos;", None, ""),
    Echo::html("&quot;", "'", None, ""),
    Echo::html("\"", "'", None, ""),
    Echo::html("&quot;", "&#x27;", Some(Radix::Hex), "+"),
    Echo::html("&quot;", "&#39;", Some(Radix::Decimal), ""),
    Echo::html("&quot;", "'", Some(Radix::Named), ""),
    Echo::html("&quot;", "&#039;", Some(Radix::Named), ""),
    Echo::html("&quot;", "&#x27;", None, "`="),
];

impl Echo {
    const fn json(slash: bool, beyond_ascii: bool, as_unicode: &'static str) -> Self {
        Self::Json {
            slash,
            beyond_ascii,
            as_unicode,
        }
    }

    const fn html(
        quote: &'static str,
        apostrophe: &'static str,
        beyond_ascii: Option<Radix>,
        as_hex: &'static str,
    ) -> Self {
        Self::Html {
            quote,
            apostrophe,
            beyond_ascii,
            as_hex,
        }
    }

    /// `value` as this encoder writes it.
    fn write(&self, value: &str) -> String {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(value.len() + 8);
        for c in value.chars() {
            // Writing to a `String` cannot fail.
            let _ = match *self {
                Self::Json {
                    slash,
                    beyond_ascii,
                    as_unicode,
                } => match c {
                    '\n' => out.write_str("\\n"),
                    '\r' => out.write_str("\\r"),
                    '\t' => out.write_str("\\t"),
                    '\u{8}' => out.write_str("\\b"),
                    '\u{c}' => out.write_str("\\f"),
                    c if c < ' ' || as_unicode.contains(c) || (beyond_ascii && !c.is_ascii()) => c
                        .encode_utf16(&mut [0; 2])
                        .iter()
                        .try_for_each(|unit| write!(out, "\\u{unit:04x}")),
                    '"' => out.write_str("\\\""),
                    '\\' => out.write_str("\\\\"),
                    '/' if slash => out.write_str("\\/"),
                    c => out.write_char(c),
                },
                Self::Html {
                    quote,
                    apostrophe,
                    beyond_ascii,
                    as_hex,
                } => match c {
                    '&' => out.write_str("&amp;"),
                    '<' => out.write_str("&lt;"),
                    '>' => out.write_str("&gt;"),
                    '"' => out.write_str(quote),
                    '\'' => out.write_str(apostrophe),
                    c if as_hex.contains(c) => write!(out, "&#x{:X};", u32::from(c)),
                    c if !c.is_ascii() => match beyond_ascii {
                        Some(Radix::Hex) => write!(out, "&#x{:X};", u32::from(c)),
                        Some(Radix::Decimal) => write!(out, "&#{};", u32::from(c)),
                        Some(Radix::Named) => match named_entity(c) {
                            Some(name) => write!(out, "&{name};"),
                            None => out.write_char(c),
                        },
                        None => out.write_char(c),
                    },
                    c => out.write_char(c),
                },
            };
        }
        out
    }
}

/// `text` with each character that has a single lower-case form in it (and `ς` as `σ`), and
/// where the two differ in length: the offsets, in the folded text and in `text`, after each
/// character whose folding changed its length.
fn fold(text: &str) -> (String, Vec<(usize, usize)>) {
    let mut folded = String::with_capacity(text.len());
    let mut shifts = Vec::new();
    for (at, c) in text.char_indices() {
        let mut lower = c.to_lowercase();
        let one = match (lower.next(), lower.next()) {
            (Some('ς'), None) => 'σ',
            (Some(l), None) => l,
            _ => c,
        };
        folded.push(one);
        if one.len_utf8() != c.len_utf8() {
            shifts.push((folded.len(), at + c.len_utf8()));
        }
    }
    (folded, shifts)
}

/// The offset in the original text of `offset`, between two characters of its folding, from
/// the folding's `shifts` (see [`fold`]).
fn original_offset(shifts: &[(usize, usize)], offset: usize) -> usize {
    match shifts.partition_point(|&(folded, _)| folded <= offset) {
        0 => offset,
        after => {
            let (folded, original) = shifts[after - 1];
            original + (offset - folded)
        }
    }
}

/// Where a token that starts at `from` ends: base64url, JWT dots, and `+/=~`.
fn token_end(text: &str, from: usize) -> usize {
    text[from..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || "-._~+/=".contains(c)))
        .map_or(text.len(), |i| from + i)
}

/// Replaces the values of secret members ([`SECRET_KEYS`]) anywhere in `value` with
/// `[redacted]`.
pub(crate) fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if secret_key(key) {
                    *inner = serde_json::Value::String(REDACTED.into());
                } else {
                    redact_json(inner);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// `text`, JSON or not, with the values of secret members (`"access_token": "…"`, as
/// [`secret_key`] names them) replaced by `"[redacted]"`, however the text is cut short or
/// malformed: for a body that does not parse. A value cut off by the end of the text is removed
/// to the end. Linear in the text's length.
pub(crate) fn redact_secret_members(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while let Some(offset) = bytes.get(at..).and_then(|rest| memchr::memchr(b'"', rest)) {
        let open = at + offset;
        let Some(close) = string_end(bytes, open) else {
            break;
        };
        let colon = skip_whitespace(bytes, close);
        let named_secret = bytes.get(colon) == Some(&b':')
            && text.get(open + 1..close - 1).is_some_and(secret_key);
        if !named_secret {
            // A member's name is followed by its value; any other string's closing quote may
            // be a stray one, which opens the next string: pairing quotes strictly in order
            // would let one stray quote hide every member after it.
            at = if bytes.get(colon) == Some(&b':') {
                close
            } else {
                close - 1
            };
            continue;
        }
        let value = skip_whitespace(bytes, colon + 1);
        let value_end = json_value_end(bytes, value);
        out.push_str(&text[copied..value]);
        out.push('"');
        out.push_str(REDACTED);
        out.push('"');
        copied = value_end;
        at = value_end;
    }
    out.push_str(&text[copied..]);
    out
}

/// The offset after the closing quote of the JSON string that opens at `open`, if it closes.
fn string_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut at = open + 1;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}

fn skip_whitespace(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|b| !b.is_ascii_whitespace()))
        .map_or(bytes.len(), |skipped| from + skipped)
}

/// Where the JSON value that starts at `start` ends (a string, an object or array with what
/// it nests, or a bare word), or the text's end if it is cut off. Always a character boundary:
/// an ASCII delimiter's offset, one past it, or the end.
fn json_value_end(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start) {
        Some(b'"') => string_end(bytes, start).unwrap_or(bytes.len()),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut at = start;
            while let Some(&byte) = bytes.get(at) {
                match byte {
                    b'"' => {
                        at = string_end(bytes, at).unwrap_or(bytes.len());
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return at + 1;
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
            bytes.len()
        }
        _ => bytes
            .get(start..)
            .and_then(|rest| {
                rest.iter()
                    .position(|&b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
            })
            .map_or(bytes.len(), |length| start + length),
    }
}

/// The decoded values of the query string `query` (`a=1&b=x%40y` gives `1` and `x@y`): what a
/// request sent in its query, to keep out of errors.
pub(crate) fn query_values(query: &str) -> impl Iterator<Item = String> + '_ {
    url::form_urlencoded::parse(query.as_bytes()).map(|(_, v)| v.into_owned())
}

/// The query parameters of an OAuth URL whose values are a flow's handles, folded as
/// [`secret_key`] folds names (`code_challenge`, `codeChallenge` and `CODE-CHALLENGE` are all
/// `codechallenge`): what a server's text about the flow must not repeat. The URL's other
/// values (`response_type=code`, a scope) are ordinary words, kept.
const URL_HANDLES: [&str; 5] = ["state", "nonce", "codechallenge", "loginhint", "requesturi"];

/// The most handles [`url_handles`] gives of one URL.
const MAX_URL_HANDLES: usize = 16;

/// The most bytes of patterns a [`Redactor`] searches for (its values in all their forms):
/// past it, the automaton would be hundreds of megabytes, so the redactor removes the whole
/// text instead. A batch of a thousand long items makes a few megabytes.
const MAX_PATTERN_BYTES: usize = 64 * 1024 * 1024;

/// The longest value a [`Redactor`] searches for: a longer one (an OAuth state of megabytes a
/// hostile answer echoed back) makes it remove the whole text instead, before its forms are
/// made.
const MAX_VALUE_BYTES: usize = 64 * 1024;

/// The longest handle [`url_handles`] gives: a longer value is no handle of a flow, and would
/// make the redactor's automaton large.
const MAX_URL_HANDLE_CHARS: usize = 2048;

/// The values of `url`'s query parameters (split at `&` and `;`) named in [`URL_HANDLES`] or
/// secret-named, each once, from [`MIN_VALUE_CHARS`] to [`MAX_URL_HANDLE_CHARS`] long, at most
/// [`MAX_URL_HANDLES`]: for the [`Redactor`] of a server's text about an OAuth flow.
pub(crate) fn url_handles(url: &str) -> Vec<String> {
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let query = query.split_once('#').map_or(query, |(query, _)| query);
    let handle = |key: &str| {
        let folded: String = key
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        URL_HANDLES.contains(&folded.as_str()) || secret_key(key)
    };
    let mut handles: Vec<String> = Vec::new();
    let pairs = query
        .split(';')
        .flat_map(|part| url::form_urlencoded::parse(part.as_bytes()));
    for (key, value) in pairs {
        let length = value.chars().count();
        let fits = (MIN_VALUE_CHARS..=MAX_URL_HANDLE_CHARS).contains(&length);
        if key.len() <= 64 && fits && handle(&key) && !handles.iter().any(|h| *h == value) {
            handles.push(value.into_owned());
            if handles.len() == MAX_URL_HANDLES {
                break;
            }
        }
    }
    handles
}

/// The longest URL a flow's redactor removes whole ([`url_values`]).
const MAX_OWN_URL_CHARS: usize = 16 * 1024;

/// What a server's text about an OAuth flow must not repeat of `url`, a URL the flow handed
/// out: the URL itself, when it is at most [`MAX_OWN_URL_CHARS`] long (a longer one, a
/// hostile answer's, would make the redactor's automaton large), and its handles
/// ([`url_handles`]).
pub(crate) fn url_values(url: &str) -> Vec<String> {
    let mut values = url_handles(url);
    if url.chars().count() <= MAX_OWN_URL_CHARS {
        values.push(url.to_owned());
    }
    values
}

/// Adds the strings of `item` serialized as JSON (an item of a batch call's body), at most a
/// thousand, to `out`: for a [`Redactor`].
pub(crate) fn push_json_strings<T: serde::Serialize>(item: &T, out: &mut Vec<String>) {
    /// Far more strings than one item of a batch holds.
    const MAX_VALUES: usize = 1_000;
    if let Ok(value) = serde_json::to_value(item) {
        json_strings(&value, out.len() + MAX_VALUES, out);
    }
}

/// The string values of a JSON document (until `out` holds `limit`), for a [`Redactor`].
pub(crate) fn json_strings(value: &serde_json::Value, limit: usize, out: &mut Vec<String>) {
    if out.len() >= limit {
        return;
    }
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_strings(v, limit, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| json_strings(v, limit, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_known_as_more_encoders_write_them() {
        // Found by review: named HTML entities (Java, PHP), Handlebars' `=`, and the percent
        // encodings other than a form's were not known.
        for (value, echo, leak) in [
            (
                "José García",
                "no match for Jos&eacute; Garc&iacute;a",
                "Garc",
            ),
            (
                "Œuvre Müller",
                "no match for &OElig;uvre M&uuml;ller",
                "ller",
            ),
            ("Mary O'Brien", "no match for Mary%20O'Brien", "Brien"),
            (
                "jane~doe@example.com",
                "no match for jane~doe%40example.com",
                "doe",
            ),
            ("Mary O'Brien", "no match for Mary+O%27Brien", "Brien"),
            (
                "c2VjcmV0a2V5==",
                "key c2VjcmV0a2V5&#x3D;&#x3D; refused",
                "a2V5",
            ),
        ] {
            let shown = Redactor::new([value]).redact(echo);
            assert!(!shown.contains(leak), "{value}: {shown}");
            assert!(shown.contains(REDACTED), "{value}: {shown}");
        }
    }

    #[test]
    fn a_bearer_token_after_any_spaces_is_removed() {
        // Found by review: the marker needed exactly one space.
        for text in [
            "got Bearer\tya29.s3cret",
            "got Bearer  ya29.s3cret",
            "got bearer ya29.s3cret",
        ] {
            let shown = Redactor::default().redact(text);
            assert!(!shown.contains("s3cret"), "{text:?}: {shown}");
        }
        assert_eq!(Redactor::default().redact("bearers ok"), "bearers ok");
        // Found by review: a bare `Bearer` at the end (a 401's challenge) lost its last word.
        assert_eq!(Redactor::default().redact("use Bearer"), "use Bearer");
    }

    #[test]
    fn named_secrets_are_removed_in_every_form_they_come_in() {
        // Found by review: a credential after a tab, two spaces or another scheme, JSON quoted
        // twice in text that does not parse, a form's `user[password]` and a pair
        // percent-encoded in a URL were kept.
        for text in [
            "Authorization: Basic\tczNjcmV0OnMzY3JldA==",
            "Authorization: Basic  czNjcmV0OnMzY3JldA==",
            "authorization: Token ghp_s3cret",
            "Authorization: SSWS 00s3cret",
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=s3cret",
            r#"{\\\"client_secret\\\": \\\"s3cret\\\"}"#,
            "user[password]=s3cret&next=1",
            "https://x/login?next=%2Fcb%3Faccess_token%3Ds3cret",
            // Found by review: an OAuth flow's handles were not secret names.
            r#"{"pull_id": "s3cret"}"#,
            r#"{"auth_uri": "https://p.example/oauth?s3cret"}"#,
            r#"{"authorizationUrl": "https://p.example/oauth?state=s3cret"}"#,
        ] {
            let shown = redact_named_secrets(text);
            assert!(
                !shown.contains("s3cret") && !shown.contains("czNj"),
                "{text}: {shown}"
            );
        }
    }

    #[test]
    fn values_too_large_to_search_remove_the_whole_text() {
        // Found by review: an OAuth state of megabytes echoed by a server went into the
        // redactor whole (about ten forms of it in one automaton), and a failed build fell
        // back to the markers alone, showing every value.
        let huge = "s".repeat(MAX_VALUE_BYTES + 1);
        let redactor = Redactor::new(["jane.doe@example.com", huge.as_str()]);
        assert_eq!(redactor.redact("mail jane.doe@example.com"), REDACTED);
        let small = Redactor::new(["jane.doe@example.com"]);
        assert_eq!(small.redact("mail jane.doe@example.com"), "mail [redacted]");
    }

    #[test]
    fn a_urls_handles_are_its_state_and_secrets_at_most_sixteen() {
        let url = "https://p.example/oauth?response_type=code&state=st-1&scope=ads&nonce=nn-1\
                   &access_token=tt-1#state=frag";
        assert_eq!(url_handles(url), ["st-1", "nn-1", "tt-1"]);
        // Found by review: names in another case or spelling, `;` between pairs, OAuth's
        // `request_uri`, and a cap spent on repeated or short values.
        let url = "https://p.example/?STATE=st-2;loginHint=lh-2&request_uri=urn:r-2\
                   &state=st-2&state=x&nonce=abcdefgh";
        assert_eq!(url_handles(url), ["st-2", "lh-2", "urn:r-2", "abcdefgh"]);
        let filler = (0..100_000)
            .map(|i| format!("state=s{i:04}&"))
            .collect::<String>();
        let many = format!("https://p.example/?{filler}");
        assert_eq!(url_handles(&many).len(), MAX_URL_HANDLES);
        let long = format!("https://p.example/?state={}", "s".repeat(5_000));
        assert!(url_handles(&long).is_empty());
        assert!(url_handles("no query").is_empty());
    }

    #[test]
    fn named_secrets_leave_other_text_and_any_end_whole() {
        for plain in [
            "the token expired",
            "password must be 8 characters: é",
            "tokens: 5, token",
            "café token",
            "",
        ] {
            assert_eq!(redact_named_secrets(plain), plain);
        }
        for (text, shown) in [
            ("token:", "token:"),
            ("token: é", "token: [redacted]"),
            ("apiKey=\"abc", "apiKey=\"[redacted]"),
            ("secretKey: &quot;abc", "secretKey: &quot;[redacted]"),
            ("Authorization: Bearer", "Authorization: [redacted]"),
            (
                "{\"token\": {\"a\": [1, \"}\"]}, \"b\": 2}",
                "{\"token\": [redacted], \"b\": 2}",
            ),
        ] {
            assert_eq!(redact_named_secrets(text), shown, "{text}");
        }
    }

    #[test]
    fn a_value_that_starts_inside_a_removal_or_a_marker_lookalike_is_removed() {
        // Found by review: a match inside a bearer token's removal was skipped, and letters
        // that looked like a JWT's start in another case hid a value starting among them.
        let redactor = Redactor::new(["hunter2:topsecret", "jones@example.com"]);
        for (text, leak) in [
            ("Bearer hunter2:topsecret", "topsecret"),
            ("keyjones@example.com", "jones@"),
            ("KEYJONES@EXAMPLE.COM", "JONES@"),
            ("Bearer abc.def jones@example.com", "jones@"),
        ] {
            let shown = redactor.redact(text);
            assert!(!shown.contains(leak), "{text}: {shown}");
        }
        assert_eq!(
            redactor.redact("an eyjafjallajokull trip"),
            "an eyjafjallajokull trip"
        );
    }

    #[test]
    fn secret_members_are_removed_from_text_however_it_is_cut() {
        for (text, kept) in [
            (
                r#"{"password": "pw1", "user": "u"}"#,
                r#"{"password": "[redacted]", "user": "u"}"#,
            ),
            (
                r#"{"apiKey":{"a":["x}"]},"b":2}"#,
                r#"{"apiKey":"[redacted]","b":2}"#,
            ),
            (r#"{"token": 12345 }"#, r#"{"token": "[redacted]" }"#),
            (
                r#"{"msg":"say \"token\": no","token":"t"#,
                r#"{"msg":"say \"token\": no","token":"[redacted]""#,
            ),
            (
                r#"{"refresh_token": {"nested": "cut"#,
                r#"{"refresh_token": "[redacted]""#,
            ),
            (
                r#"plain "text" with "quotes": here"#,
                r#"plain "text" with "quotes": here"#,
            ),
            (r#"unterminated "token"#, r#"unterminated "token"#),
            ("{\"idToken\":\"é\\", "{\"idToken\":\"[redacted]\""),
            // Found by review: a stray quote shifted the pairing of every quote after it.
            (
                r#"{"error":"no match for O"Hara Lane","access_token":"s3cret"}"#,
                r#"{"error":"no match for O"Hara Lane","access_token":"[redacted]"}"#,
            ),
            (
                r#"<p>5" screen</p><pre>{"access_token":"s3cret"}</pre>"#,
                r#"<p>5" screen</p><pre>{"access_token":"[redacted]"}</pre>"#,
            ),
        ] {
            assert_eq!(redact_secret_members(text), kept, "{text}");
        }
    }

    #[test]
    fn a_value_echoed_in_another_case_is_removed_beyond_ascii() {
        // Found by review: only ASCII letters matched in any case.
        let redactor = Redactor::new(["José García", "Ølstrup"]);
        for echoed in [
            "no match for JOSÉ GARCÍA",
            "no match for josé garcía",
            "no match for José García",
            "ØLSTRUP?",
            "ølstrup",
        ] {
            let shown = redactor.redact(echoed);
            assert!(shown.contains(REDACTED), "{echoed}: {shown}");
            assert!(!shown.to_lowercase().contains("garc"), "{shown}");
            assert!(!shown.to_lowercase().contains("lstrup"), "{shown}");
        }
    }

    /// Asserts that `redactor` removes the name each of `echoed` ends with, in
    /// `no match for <name>.`.
    fn assert_echoes_removed(redactor: &Redactor, echoed: &[&str]) {
        for echoed in echoed {
            let text = format!("no match for {echoed}.");
            assert_eq!(redactor.redact(&text), "no match for [redacted].", "{text}");
        }
    }

    #[test]
    fn a_value_echoed_in_mixed_case_beyond_ascii_is_removed() {
        // Found by review: `ólafur` echoed as `Ólafur`, or `ÉLODIE` as `Élodie`, was kept.
        let redactor = Redactor::new(["ólafur jóhannsson", "ÉLODIE MÜLLER", "Ὀδυσσεύς"]);
        assert_echoes_removed(
            &redactor,
            &[
                "Ólafur Jóhannsson",
                "ÓLAFUR jóhannsson",
                "Élodie Müller",
                "élodie MÜLLER",
                "ὀδυσσεύς",
                "ὈΔΥΣΣΕΎΣ",
            ],
        );
    }

    #[test]
    fn a_value_whose_case_changes_its_letters_count_is_removed() {
        // Found by review: folding letter by letter missed `Straße` echoed as `STRASSE` and
        // `İbrahim` echoed as `i̇brahim` (an `i` and a combining dot), which the upper- and
        // lower-case patterns used to catch.
        let redactor = Redactor::new(["Münchner Straße", "İbrahim Öztürk"]);
        assert_echoes_removed(
            &redactor,
            &[
                "MÜNCHNER STRASSE",
                "münchner straße",
                "i̇brahim öztürk",
                "İBRAHIM ÖZTÜRK",
                "İbrahim öztürk",
            ],
        );
    }

    #[test]
    fn a_folding_that_changes_lengths_keeps_the_text_around_a_match() {
        // The Kelvin sign (3 bytes) folds to `k` (1 byte), `Ⱥ` (2 bytes) to `ⱥ` (3 bytes):
        // what lies between, and a marker after them, keep their places.
        let redactor = Redactor::new(["Ólafur"]);
        assert_eq!(
            redactor.redact("\u{212A}ey ÓLAFUR Ⱥx ólafur, Bearer abc.def and eyJhb.x end"),
            "\u{212A}ey [redacted] Ⱥx [redacted], [redacted] and [redacted] end"
        );
        assert_eq!(redactor.redact("only ascii: olafur"), "only ascii: olafur");
    }

    #[test]
    fn markers_and_known_values_go_in_every_encoding_and_case() {
        let r = Redactor::new(["jane.doe@example.com", "s3cr3t pass", "CA"]);
        assert_eq!(
            r.redact("oops Bearer abc.def-123 and eyJhbGciOi.eyJzdWIi.sig trailing"),
            "oops [redacted] and [redacted] trailing"
        );
        assert_eq!(
            r.redact("no match for JANE.DOE@EXAMPLE.COM, state CA"),
            "no match for [redacted], state CA"
        );
        assert_eq!(
            r.redact("email=jane.doe%40example.com&p=s3cr3t+pass&q=s3cr3t%20pass"),
            "email=[redacted]&p=[redacted]&q=[redacted]"
        );
        assert_eq!(r.redact("an EYJ word is left"), "an EYJ word is left");
    }

    #[test]
    fn values_that_overlap_in_the_text_are_removed_whole() {
        // Found by review: the first match's end was searched from, leaving the second's tail.
        let redactor = Redactor::new(["Jane Doe", "Doe Street", "42 Doe Street West"]);
        for (text, kept) in [
            ("Jane Doe Street, Springfield", "[redacted], Springfield"),
            ("at 42 Doe Street West.", "at [redacted]."),
            ("Jane Doe and Doe Street", "[redacted] and [redacted]"),
            ("Jane Doe Street West", "[redacted] West"),
        ] {
            assert_eq!(redactor.redact(text), kept, "{text}");
        }
        // A long value found last, over two short ones found apart.
        let redactor = Redactor::new(["Ann Lee", "Elm Road", "Ann Lee, 5 Elm Road"]);
        assert_eq!(
            redactor.redact("to Ann Lee, 5 Elm Road; Ann Lee, 6 Elm Road"),
            "to [redacted]; [redacted], 6 [redacted]"
        );
        // Ranges that touch make one removal.
        let redactor = Redactor::new(["Jane", "Doe Street"]);
        assert_eq!(redactor.redact("JaneDoe Street 5"), "[redacted] 5");
        // A long value of letters beyond ASCII, found last, over a short one found first.
        let redactor = Redactor::new(["éééé", "éééé-éééééx"]);
        assert_eq!(redactor.redact("at éééé-éééééx."), "at [redacted].");
        // A value starting inside a bearer token and ending past it.
        let redactor = Redactor::new(["abc.def ghi"]);
        assert_eq!(redactor.redact("Bearer abc.def ghi!"), "[redacted]!");
    }

    #[test]
    fn values_are_removed_however_json_or_html_escapes_them() {
        // Found by review: only serde_json's escapes were known; PHP, Python, Go, Gson and .NET
        // write `/`, letters beyond ASCII, `<>&='+` otherwise, and HTML pages write entities.
        let redactor = Redactor::new([
            "https://files.example/jane",
            "José García/Ana",
            "Zoë 😀 Smith",
            "Tom & Jerry <tj>",
            "Ann O'Brien \"Bo\"",
            "c2VjcmV0LWtleQ==",
            "+4915112345678",
            "Élodie Müller",
        ]);
        assert_echoes_removed(
            &redactor,
            &[
                r"https:\/\/files.example\/jane",
                r"Jos\u00e9 Garc\u00eda/Ana",
                r"Jos\u00E9 Garc\u00EDa\/Ana",
                r"JOS\u00C9 GARC\u00CDA/ANA",
                r"Zo\u00eb \ud83d\ude00 Smith",
                r"Tom \u0026 Jerry \u003ctj\u003e",
                "Tom &amp; Jerry &lt;tj&gt;",
                "Ann O&#39;Brien &quot;Bo&quot;",
                "Ann O&#39;Brien &#34;Bo&#34;",
                "Ann O&#x27;Brien &quot;Bo&quot;",
                "Ann O&apos;Brien &quot;Bo&quot;",
                "ann o&#039;brien &QUOT;bo&QUOT;",
                r#"Ann O'Brien \"Bo\""#,
                r"Ann O\u0027Brien \u0022Bo\u0022",
                r"c2VjcmV0LWtleQ\u003d\u003d",
                r"\u002B4915112345678",
                "&#x2B;4915112345678",
                "&#xC9;lodie M&#xFC;ller",
                "&#201;lodie M&#252;ller",
                "&#xe9;lodie m&#xfc;ller",
            ],
        );
    }

    #[test]
    fn hostile_text_is_scanned_once() {
        // 1.3 MB of `eyJ ` used to take minutes: every match lowercased the rest of the text.
        let text = "eyJ ".repeat(330_000);
        let out = Redactor::new(["whatever-value"]).redact(&text);
        assert_eq!(out, "[redacted] ".repeat(330_000));
        // Found by review: one token of a million markers was followed to its end from each.
        let token = "eyJ".repeat(330_000);
        assert_eq!(Redactor::default().redact(&token), REDACTED);
    }
}
