"""Classification of incoming tickets into the contract's queues by channel, reason and keywords."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# A keyword token may end in "*" to match any word starting with it ("cancel*" finds "cancelamento",
# "cancelar", "cancelación"): Portuguese and Spanish inflect too much for exact words alone.
_WILDCARD = "*"
# Word edges treat "_" as a separator: social handles such as "@anatel_oficial" must still match.
_START = r"(?<![^\W_])"
_END = r"(?![^\W_])"
_SEPARATOR = r"[\W_]+"
_TOKEN = re.compile(r"[^\W_]+\*?")
_MISPLACED_WILDCARD = re.compile(r"(?<![^\W_])\*|\*(?=[^\W_])")
# The combining diacritics block holds every accent of Portuguese and Spanish; one regex pass is
# several times faster than testing `unicodedata.combining` character by character.
_ACCENTS = re.compile("[\u0300-\u036f]")


def normalize_text(text: str) -> str:
    """Fold case and strip accents, so "Reclamação", "RECLAMACAO" and "reclamacao" compare equal."""
    if text.isascii():
        return text.lower()
    return _ACCENTS.sub("", unicodedata.normalize("NFKD", text.casefold()))


def keyword_tokens(keyword: str) -> tuple[str, ...]:
    """The normalised words of a keyword or phrase; punctuation between words is not significant."""
    normalized = normalize_text(keyword)
    if _MISPLACED_WILDCARD.search(normalized):
        raise ValueError(f"{keyword!r}: '*' is allowed only at the end of a word")
    return tuple(_TOKEN.findall(normalized))


def _keyword_regex(tokens: Sequence[str]) -> str:
    parts = [re.escape(t[:-1]) + r"[^\W_]*" if t.endswith(_WILDCARD) else re.escape(t) for t in tokens]
    return _SEPARATOR.join(parts)


class KeywordMatcher:
    """Finds whole words and phrases of a keyword list in normalised text.

    Two compiled regexes: `search` answers yes/no without capture groups, which is twice as fast,
    and only a hit pays for `findall` to name the keywords. The word-edge lookarounds sit outside
    the alternation: inside it they cost ten times more on a 500-character body.
    """

    __slots__ = ("_any", "_named", "keywords")

    def __init__(self, keywords: Iterable[str]) -> None:
        self.keywords: tuple[str, ...] = tuple(keywords)
        alternatives = []
        for keyword in self.keywords:
            tokens = keyword_tokens(keyword)
            if not tokens:
                raise ValueError(f"{keyword!r}: a keyword needs at least one letter or digit")
            alternatives.append(_keyword_regex(tokens))
        self._any: re.Pattern[str] | None = None
        self._named: re.Pattern[str] | None = None
        if alternatives:
            self._any = re.compile(f"{_START}(?:{'|'.join(alternatives)}){_END}")
            named = "|".join(f"(?P<k{i}>{alt})" for i, alt in enumerate(alternatives))
            self._named = re.compile(f"{_START}(?:{named}){_END}")

    def search(self, normalized: str) -> bool:
        """Whether any keyword occurs in text already passed through `normalize_text`."""
        return self._any is not None and self._any.search(normalized) is not None

    def findall(self, normalized: str) -> tuple[str, ...]:
        """The keywords (as written in the rule) found in normalised text, in rule order."""
        if self._named is None:
            return ()
        # Each alternative is one top-level group, in keyword order: a match's group number names its keyword.
        found = {m.lastindex or 0 for m in self._named.finditer(normalized)}
        return tuple(self.keywords[i - 1] for i in sorted(found) if i)


def _fold_codes(codes: Iterable[str]) -> frozenset[str]:
    return frozenset(c.strip().casefold() for c in codes)


@dataclass(frozen=True, slots=True)
class ClassificationRule:
    """Send a ticket to `queue` when all the conditions it sets hold.

    An empty `channels` or `reasons` means any; `keywords` match when at least one of them occurs in
    the subject or body. Rules are tried by ascending `order`, ties in the order given; the first
    match wins.
    """

    queue: str
    channels: frozenset[str] = frozenset()
    reasons: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()
    order: int = 0
    _matcher: KeywordMatcher = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Codes arrive from CSV and CRM payloads in any case: compare them folded.
        object.__setattr__(self, "channels", _fold_codes(self.channels))
        object.__setattr__(self, "reasons", _fold_codes(self.reasons))
        object.__setattr__(self, "keywords", tuple(self.keywords))
        object.__setattr__(self, "_matcher", KeywordMatcher(self.keywords))

    def accepts(self, channel: str, reason: str | None) -> bool:
        """Whether the channel and reason conditions hold for codes already stripped and casefolded
        (keywords are checked separately)."""
        if self.channels and channel not in self.channels:
            return False
        return not self.reasons or (reason is not None and reason in self.reasons)


@dataclass(frozen=True, slots=True)
class Classification:
    queue: str
    rule_index: int | None
    flagged: bool
    matched: tuple[str, ...] = ()


def classify(
    rules: Sequence[ClassificationRule],
    default_queue: str,
    *,
    channel: str,
    reason: str | None,
    subject: str = "",
    body: str = "",
) -> Classification:
    """The queue of a ticket; tickets no rule matches go to `default_queue`, flagged for a supervisor.

    `rule_index` is the position in `rules` of the rule that matched.
    """
    channel_key = channel.strip().casefold()
    reason_key = reason.strip().casefold() if reason else None
    text: str | None = None
    for index in sorted(range(len(rules)), key=lambda i: rules[i].order):
        rule = rules[index]
        if not rule.accepts(channel_key, reason_key):
            continue
        if not rule.keywords:
            return Classification(rule.queue, index, flagged=False)
        if text is None:
            text = normalize_text(f"{subject}\n{body}")
        if rule._matcher.search(text):
            return Classification(rule.queue, index, flagged=False, matched=rule._matcher.findall(text))
    return Classification(default_queue, None, flagged=True)


_RULE_KEYS = frozenset({"queue", "channels", "reasons", "keywords", "order"})


def _string_list(value: object, path: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ValueError(f"{path}: expected a list of strings, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"{path}[{i}]: expected a non-empty string, got {item!r}")
    return value


def parse_rules(
    data: object, *, known_queues: Collection[str] | None = None, path: str = "classification"
) -> list[ClassificationRule]:
    """Rules from the contract file's `classification:` list; errors name the offending field path.

    Each item: `queue` (required), `channels`, `reasons`, `keywords` (lists, or one string) and
    `order` (integer, default 0). A rule must set at least one condition: the default queue is the
    only catch-all, so that unmatched tickets are flagged.
    """
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of rules, got {type(data).__name__}")
    rules = []
    for i, item in enumerate(data):
        where = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}: expected a mapping, got {type(item).__name__}")
        unknown = sorted(str(k) for k in item if k not in _RULE_KEYS)
        if unknown:
            raise ValueError(f"{where}.{unknown[0]}: unknown field (allowed: {', '.join(sorted(_RULE_KEYS))})")
        queue = item.get("queue")
        if not isinstance(queue, str) or not queue.strip():
            raise ValueError(f"{where}.queue: required, a non-empty string")
        if known_queues is not None and queue not in known_queues:
            raise ValueError(f"{where}.queue: unknown queue {queue!r}")
        order = item.get("order", 0)
        if not isinstance(order, int) or isinstance(order, bool):
            raise ValueError(f"{where}.order: expected an integer, got {order!r}")
        channels = _string_list(item.get("channels", []), f"{where}.channels")
        reasons = _string_list(item.get("reasons", []), f"{where}.reasons")
        keywords = _string_list(item.get("keywords", []), f"{where}.keywords")
        for k, keyword in enumerate(keywords):
            try:
                tokens = keyword_tokens(keyword)
            except ValueError as exc:
                raise ValueError(f"{where}.keywords[{k}]: {exc}") from None
            if not tokens:
                raise ValueError(f"{where}.keywords[{k}]: {keyword!r} has no letter or digit")
        if not (channels or reasons or keywords):
            raise ValueError(f"{where}: a rule needs at least one of channels, reasons or keywords")
        rules.append(
            ClassificationRule(
                queue=queue,
                channels=frozenset(channels),
                reasons=frozenset(reasons),
                keywords=tuple(keywords),
                order=order,
            )
        )
    return rules
