"""Page furniture: what a page carries besides the story.

A saved news page holds far more than the story: captions and photo credits,
login and paywall prompts, share buttons, "Filed under:" and tag lists,
bylines, reading times, timestamps, view and comment counts, "Read more:"
links, newsletter and app promos, copyright lines, affiliate disclaimers,
advertisement labels, cookie notices, "originally published" notes, "Click
here" prompts, menus, breadcrumbs and player labels, reader prompts, and the
headline repeated.
None of it is ever a notification's text, and none of it may make a version
that notifies followers. This module recognises it, one paragraph (or line)
at a time:

- ``furniture_kind`` names the family a paragraph belongs to (``Furniture``),
  or None for story text; ``is_furniture`` is its yes/no form;
- ``is_lead_candidate`` says whether a paragraph can be the notification body;
- ``is_volatile`` says whether text changes by itself (timestamps, relative
  times, reading times, counts), so it is kept out of the content hash;
- ``looks_like_place`` says whether a dateline names a place, not a time.

The common phrases are known in English, German, French, Spanish, Portuguese
and Italian. Precision matters more than recall: dropping a sentence of the
story is worse than keeping a stray label, so a phrase only counts when the
paragraph has the shape of chrome (short, label-like) and never when it reads
as a sentence of the story ("By noon, the river had crested.").

Everything here is linear in the input: text is normalised once (a single
pass), anything longer than furniture can be is rejected before a pattern
runs, and every pattern has bounded repetition.
"""

import re
from enum import StrEnum
from typing import Final

from stoppress.articles.normalise import normalise_text

__all__ = [
    "Furniture",
    "furniture_kind",
    "is_furniture",
    "is_lead_candidate",
    "is_volatile",
    "looks_like_place",
]


class Furniture(StrEnum):
    """The families of page furniture."""

    HEADLINE = "headline repeated"
    CAPTION = "caption or photo credit"
    ACCOUNT = "login, subscription or paywall prompt"
    SHARE = "share prompt"
    LABEL = "filed-under, tags or topics label"
    BYLINE = "byline"
    READING_TIME = "reading time"
    TIMESTAMP = "date or timestamp"
    COUNT = "view, comment or share count"
    RELATED = "read-more or related link"
    PROMO = "newsletter or app promo"
    COPYRIGHT = "copyright line"
    DISCLAIMER = "affiliate disclaimer"
    ADVERTISEMENT = "advertisement label"
    NOTICE = "cookie, privacy or legal notice"
    REPUBLISHED = "originally-published note"
    CLICK_HERE = "click-here prompt"
    NAVIGATION = "navigation or player label"
    PROMPT = "reader prompt"


# Furniture is short: the longest family (cookie notices, affiliate
# disclaimers) runs to a few sentences. Anything longer is story text, and
# rejecting it before any pattern runs keeps every check cheap.
_MAX_FURNITURE_CHARS: Final = 600
_MAX_FURNITURE_WORDS: Final = 90
# A timestamp, reading time or counter line, even with a byline beside it.
_MAX_VOLATILE_CHARS: Final = 300
_MAX_VOLATILE_WORDS: Final = 24
_MAX_PLACE_CHARS: Final = 60
_MAX_PLACE_WORDS: Final = 7
# A notification body needs a sentence's worth of words: six, or four that
# end like a sentence ("The port reopened on Monday.").
_MIN_LEAD_WORDS: Final = 6
_MIN_LEAD_SENTENCE_WORDS: Final = 4
# Up to this many words a paragraph is short enough to be a label or a prompt.
_SHORT_WORDS: Final = 12

# Bullets, arrows and bars that templates put around chrome.
_EDGE_MARKS: Final = " \t•·▪◦►▶▸»›>*|-–—~¿¡"
_SENTENCE_END: Final = re.compile(r"[.!?…。！？][\"'”’»)\]」』]{0,3}$")
_STATEMENT_END: Final = re.compile(r"[.!。！][\"'”’»)\]」』]{0,3}$")
_ABBREVIATED_ENDS: Final = frozenset({"a.m.", "p.m.", "uhr.", "jr.", "sr.", "inc.", "ltd.", "co."})


def furniture_kind(paragraph: str, *, headline: str | None = None) -> Furniture | None:
    """The family of page furniture ``paragraph`` belongs to, or None for story text.

    ``headline`` is the article's headline, so that its repetition in the body
    (a page's title rendered twice) counts as furniture.
    """
    return _kind_of(_clean(paragraph), headline)


def is_furniture(paragraph: str, *, headline: str | None = None) -> bool:
    """True for a paragraph that is site chrome, never story text."""
    return _kind_of(_clean(paragraph), headline) is not None


def is_lead_candidate(paragraph: str, *, headline: str | None = None) -> bool:
    """Whether ``paragraph`` can be the notification body: prose of the story.

    Not furniture; a sentence's worth of words with letters (six, or four
    ending in a full stop); not a section name shouted in capitals; not a
    short question or a label ending in a colon ("What do you think?", "Here
    is what we know:"); nothing volatile. A standfirst (dek) qualifies: it is
    prose about the story.
    """
    text = _clean(paragraph)
    if _kind_of(text, headline) is not None:
        return False
    words = text.split()
    prose_words = _prose_word_count(text, words)
    if prose_words < _MIN_LEAD_WORDS and not (
        prose_words >= _MIN_LEAD_SENTENCE_WORDS and _STATEMENT_END.search(text)
    ):
        return False
    short = prose_words <= _SHORT_WORDS
    if _is_shouting(text) and (short or not _SENTENCE_END.search(text)):
        return False
    if short and text.rstrip("\"'”’»)").endswith(("?", ":")):
        return False
    return not _volatile(text)


def is_volatile(text: str) -> bool:
    """Whether ``text`` changes by itself while the story stays the same.

    True for timestamps and dates ("Nov 19, 6:55 AM", "Updated 2 hours ago",
    "Today"), relative times ("5 min ago", "vor 2 Stunden"), reading times
    ("5 min read") and counters ("1.2K views"), alone or beside a byline
    ("By Jane Doe | Updated 5:30 PM"). A sentence of the story that mentions
    a time ("The fire started two hours ago.") is not volatile.
    """
    return _volatile(_clean(text))


def looks_like_place(dateline: str) -> bool:
    """Whether ``dateline`` names a place ("BRUSSELS", "NEW YORK (AP)", "São Paulo").

    A dateline element on some sites holds a timestamp instead ("Updated Nov
    19, 6:55 AM", "Today 12:01 AM"); such text is not a place, and must not
    become the dateline or enter the content hash. Digits, dates, weekdays,
    relative times, bylines and other furniture are all rejected.
    """
    text = _clean(dateline).strip(" :,")
    if not text or len(text) > _MAX_PLACE_CHARS or len(text.split()) > _MAX_PLACE_WORDS:
        return False
    if not text[0].isalpha() or text[0].islower():
        return False
    if not all(character.isalpha() or character in _PLACE_PUNCTUATION for character in text):
        return False
    tokens = _stamp_tokens(text)
    if not tokens or tokens[0] in _STAMP_LEADERS or all(map(_is_time_word, tokens)):
        return False
    return _kind_of(text, None) is None and not _volatile(text)


# --- Shared helpers -------------------------------------------------------


def _kind_of(text: str, headline: str | None) -> Furniture | None:
    """``furniture_kind`` for text already cleaned by ``_clean``."""
    if _ALNUM.search(text, 0, _MAX_FURNITURE_CHARS) is None:
        return None
    if headline is not None and _repeats(text, headline):
        return Furniture.HEADLINE
    if len(text) > _MAX_FURNITURE_CHARS:
        return None
    words = text.split()
    if len(words) > _MAX_FURNITURE_WORDS:
        return None
    for kind, test in _FAMILY_TESTS:
        if test(text, words):
            return kind
    return None


def _volatile(text: str) -> bool:
    """``is_volatile`` for text already cleaned by ``_clean``."""
    if not text or len(text) > _MAX_VOLATILE_CHARS:
        return False
    words = text.split()
    if len(words) > _MAX_VOLATILE_WORDS or _reads_as_sentence(text, words):
        return False
    if _EMBEDDED_STAMP.search(text) or _RELATIVE_TIME.search(text):
        return True
    return any(_is_volatile_segment(part) for part in _SEGMENT_BREAK.split(text) if part)


def _vocabulary(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string, for readable lists."""
    return frozenset(words.split())


def _clean(text: str) -> str:
    return normalise_text(text).strip(_EDGE_MARKS)


def _repeats(text: str, headline: str) -> bool:
    # The length check first: a long paragraph is never the headline again.
    return len(text) <= 2 * len(headline) + 10 and _fold(text) == _fold(headline)


def _fold(text: str) -> str:
    return " ".join(normalise_text(text).casefold().split()).strip(" .:;!?\"'“”‘’«»")


def _reads_as_sentence(text: str, words: list[str]) -> bool:
    """Long enough, and ending like a sentence: story text rather than a label."""
    if len(words) < 8 or _SENTENCE_END.search(text) is None:
        return False
    return words[-1].casefold() not in _ABBREVIATED_ENDS


def _short_label(text: str, words: list[str], max_words: int = _SHORT_WORDS) -> bool:
    return len(words) <= max_words and not _reads_as_sentence(text, words)


_LETTER: Final = re.compile(r"[^\W\d_]")
_ALNUM: Final = re.compile(r"[^\W_]")
_UPPER: Final = re.compile(r"[A-ZÀ-ÞΑ-ΩА-Я]")
# Enough of a paragraph to tell capitals throughout from a capitalised acronym.
_SHOUT_SAMPLE: Final = 400
_UNSPACED_SCRIPT: Final = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def _is_shouting(text: str) -> bool:
    """Capitals throughout, as a section name shouts ("MOST READ STORIES").

    A script without case that holds a capitalised acronym ("国家统计局 ... CPI")
    is not shouting, though ``str.isupper`` says it is.
    """
    head = text[:_SHOUT_SAMPLE]
    if not head.isupper():
        return False
    return len(_UPPER.findall(head)) * 2 >= len(_LETTER.findall(head))


def _prose_word_count(text: str, words: list[str]) -> int:
    """Words with a letter, counted up to one past ``_SHORT_WORDS``.

    In scripts written without spaces, two characters make a word.
    """
    count = 0
    for word in words:
        if _LETTER.search(word):
            count += 1
            if count > _SHORT_WORDS:
                return count
    return count + len(_UNSPACED_SCRIPT.findall(text[:200])) // 2


def _label_then(
    pattern: re.Pattern[str], text: str, words: list[str], *, max_words: int, any_tail: bool
) -> bool:
    """``text`` starts with a label from ``pattern`` and reads as a label line.

    The label alone (with punctuation) always counts. With more after it, the
    line must stay short and not read as a sentence, and unless ``any_tail``
    the label must be set apart (a colon, a bar, an arrow) or continued by a
    joining word ("Sign in to continue", "Share on Facebook").
    """
    if len(words) > max_words:
        return False
    match = pattern.match(text)
    if match is None:
        return False
    tail = text[match.end() :].lstrip()
    if not tail.strip(" :.!?…»›→|>-–—/"):
        return True
    if _reads_as_sentence(text, words):
        return False
    if any_tail or tail[0] in ":|»›→>/-–—(!?.":
        return True
    return tail.split(maxsplit=1)[0].casefold() in _JOINING_WORDS


_JOINING_WORDS: Final = _vocabulary(
    "to with or and for now here today using via in on your our from "
    "zum zur um mit oder und für jetzt hier bei "
    "pour ou et avec ici sur maintenant "
    "para o y con aquí ahora en "
    "com já agora aqui no na "
    "per con qui ora su"
)


# --- Captions and photo credits -------------------------------------------

_CAPTION_ALONE: Final = re.compile(
    r"(?:caption|photos?|photograph|pictures?|images?|gallery|photo gallery|slideshow|video|"
    r"illustration|graphic|credit|photo credit|image credit|"
    r"(?:hide|show|toggle|close|expand) caption|enlarge(?: this)? image|view (?:image|gallery)|"
    r"open (?:image|gallery)|click to enlarge|zoom|"
    r"fotos?|bild|bilder|bildergalerie|galerie|bildunterschrift|bildquelle|foto: ?privat|"
    r"légende|diaporama|crédit photo|crédits? photos?|"
    r"fotografía|imagen|galería|pie de foto|crédito|"
    r"fotografia|imagem|galeria|legenda|"
    r"immagine|fotogallery|didascalia)\W{0,3}",
    re.IGNORECASE,
)
_CAPTION_LABEL: Final = re.compile(
    r"(?P<label>caption|photos?|photograph|photography|pictures?|images?|illustration|graphic|"
    r"video|credits?|photo credits?|image credits?|picture credits?|source|"
    r"fotos?|bild|bilder|bildquelle|quelle|grafik|bildunterschrift|"
    r"légende|crédits? photos?|"
    r"fotografía|imagen|crédito|créditos|fuente|pie de foto|"
    r"fotografia|imagem|legenda|fonte|"
    r"immagine|didascalia)\s*:\s*",
    re.IGNORECASE,
)
# Labels whose text is a caption whatever it says; the others must be followed
# by a credit (a name, an agency), since "Photos: Inside the flooded town" is
# a headline kicker, or by a caption sentence ending in a full stop.
_CAPTION_TEXT_LABELS: Final = frozenset(
    {"caption", "bildunterschrift", "légende", "pie de foto", "legenda", "didascalia"}
)
_CREDIT_ONLY_LABELS: Final = frozenset(
    {"source", "quelle", "fuente", "fonte", "credit", "credits", "crédito", "créditos"}
)
_PHOTO_BY: Final = re.compile(
    r"(?:photos?|photograph|pictures?|images?|foto|fotos|bild|fotografía|fotografia)"
    r"\s+(?:by|von|de|par|di|por|courtesy of|courtesy)\s+(?=\w)",
    re.IGNORECASE,
)
# "(AP Photo/Jane Doe)", "(Photo: Reuters)", "(File photo by Jane Doe/Getty Images)"
_PARENTHESISED_CREDIT: Final = re.compile(
    r"\((?:[\w.&'’-]{1,20}\s){0,3}(?:file\s)?"
    r"(?:photo|foto|image|picture|photograph|illustration)s?"
    r"(?:\s*(?:/|:|by|von|de|par|courtesy(?: of)?|credit:?)\s*[^()]{1,80})?\)\W{0,3}$",
    re.IGNORECASE,
)
# "(Kyodo News via AP)", "(Jane Doe/Reuters)": a credit that names the agency it
# came through. A bare "(AP)" could be the story citing its source, so a
# "via" or a slash is required.
_AGENCY_CREDIT: Final = re.compile(
    r"\((?:[^()/]{1,60}\svia\s|[^()/]{1,60}\s?/\s?)(?:the )?(?:ap|afp|reuters|getty images|epa|"
    r"dpa|xinhua|anadolu|pool|shutterstock|imago|picture alliance|associated press|efe|ansa)"
    r"(?:\sphoto|\simages)?\)\W{0,3}$",
    re.IGNORECASE,
)
# A caption sentence followed by its credit: "... on Monday. Photograph: Jane Doe/Reuters"
_TRAILING_CREDIT: Final = re.compile(
    r"[.!?\"”)]\s+(?:photo(?:graph)?|foto|image|picture|bild|credit|photo credit|"
    r"crédit photo|crédito)\s*:\s*(?P<credit>[^.:;]{1,60})$",
    re.IGNORECASE,
)
# The longest credit either pattern reads, label and punctuation included.
_CREDIT_REACH: Final = 200
_AGENCIES: Final = _vocabulary(
    "ap afp dpa epa reuters getty images shutterstock istock istockphoto alamy imago "
    "picture alliance keystone anadolu xinhua sipa ansa efe apa ddp kna epd belga anp "
    "bloomberg pool wire unsplash"
)
_CREDIT_CONNECTORS: Final = _vocabulary(
    "via for and & de da del von van der di du la le y e et und courtesy of the / - privat handout"
)
_STOCK_NAMES: Final = re.compile(
    r"\b(?:getty images|shutterstock|istock(?:photo)?|alamy|imago|picture[- ]alliance|"
    r"associated press|reuters|afp|dpa|epa|ap|keystone|anadolu|xinhua)\b",
    re.IGNORECASE,
)


def _is_credit(text: str, *, max_tokens: int = 8) -> bool:
    """A photo credit: a few names or an agency ("Jane Doe/Reuters", "dpa")."""
    tokens = text.replace("/", " / ").split()
    if not tokens or len(tokens) > max_tokens:
        return False
    for token in tokens:
        bare = token.strip(".,;()[]")
        if not bare:
            continue
        folded = bare.casefold()
        if folded in _CREDIT_CONNECTORS or folded in _AGENCIES:
            continue
        if not any(character.isupper() for character in bare):
            return False
    return True


def _is_caption(text: str, words: list[str]) -> bool:
    if len(words) <= 4 and _CAPTION_ALONE.fullmatch(text):
        return True
    # A credit closes its caption, so only the caption's end is searched.
    end = text[-_CREDIT_REACH:]
    if "(" in end and (_PARENTHESISED_CREDIT.search(end) or _AGENCY_CREDIT.search(end)):
        return True
    photo_by = _PHOTO_BY.match(text)
    if photo_by is not None and len(words) <= 14 and text[photo_by.end()].isupper():
        return True
    trailing = _TRAILING_CREDIT.search(end) if ":" in end else None
    if trailing is not None and _is_credit(trailing.group("credit")):
        return True
    label = _CAPTION_LABEL.match(text)
    if label is not None:
        name, tail = label.group("label").casefold(), text[label.end() :]
        if _is_credit(tail):
            return True
        if name in _CREDIT_ONLY_LABELS:
            return False
        return name in _CAPTION_TEXT_LABELS or (
            len(words) <= 60 and bool(_SENTENCE_END.search(tail))
        )
    # A credit line on its own: "AFP via Getty Images", "Jane Doe/Reuters", "Reuters".
    if len(words) <= 6 and _is_credit(text, max_tokens=6) and _STOCK_NAMES.search(text):
        return "/" in text or " via " in text.casefold() or _STOCK_NAMES.fullmatch(text) is not None
    return False


# --- Login, subscription and paywall prompts ------------------------------

_ACCOUNT: Final = re.compile(
    r"(?:keep me (?:logged|signed) in|remember me|stay (?:logged|signed) in|"
    r"(?:lost|forgot) your password|username(?: or e-?mail(?: address)?)?|password|"
    r"e-?mail address|benutzername|passwort(?: vergessen)?|identifiant|"
    r"usuario|contraseña|senha|nome utente|"
    r"(?:log|sign)\s?(?:in|on|out)|login|logout|"
    r"register(?: now| for free| here| free)?(?= to | for |\W*$)|"
    r"create (?:a |an |your )?(?:free )?account|forgot(?: your)? password|"
    r"subscribe(?: now| today| here)?|subscriber login|"
    r"already (?:a subscriber|subscribed|have an account|registered|a member)|"
    r"(?:become|be) a (?:member|subscriber|supporter)|"
    r"(?:start|begin) (?:your|a) (?:free )?trial|"
    r"(?:get|unlock) (?:full |unlimited |digital |instant )?access|"
    r"(?:this|the) (?:article|story|content) is (?:for|only (?:available )?(?:for|to)|"
    r"exclusive (?:to|for)|reserved for) (?:paying )?(?:subscribers|members)(?: only)?|"
    r"(?:for )?subscribers only|subscriber exclusive|premium(?: content| article)?|"
    r"you(?:'ve| have) (?:reached|read) (?:your|all|the)\b[^.]{0,40}(?:limit|articles?)|"
    r"anmelden|einloggen|abmelden|registrieren|jetzt (?:abonnieren|registrieren|anmelden|testen)|"
    r"(?:bereits|schon) (?:abonnent(?:in)?|registriert|kunde)|abo abschließen|zum abo|"
    r"se connecter|connexion|se déconnecter|s['’]abonner|abonnez-vous|je m['’]abonne|"
    r"(?:vous êtes )?déjà abonnée?|créer un compte|mot de passe oublié|"
    r"(?:article )?réservé aux abonnés|"
    r"iniciar sesión|inicia sesión|cerrar sesión|regístrate|suscríbete|suscribirse|"
    r"ya eres (?:suscriptor|socio)|crear (?:una )?cuenta|hazte (?:socio|suscriptor)|"
    r"contenido (?:exclusivo )?para suscriptores|"
    r"entrar|fazer login|faça login|cadastre-se|assine(?: já| agora)?|"
    r"(?:já é|já sou) assinante|criar conta|conteúdo exclusivo para assinantes|"
    r"accedi|registrati|abbonati(?: ora| subito)?|(?:sei )?già abbonato|"
    r"crea (?:un )?account|contenuto riservato agli abbonati)(?=\W|$)",
    re.IGNORECASE,
)


# A paywall asks in a whole sentence: "Abonnez-vous pour lire la suite de nos
# articles." The reading it unlocks is what marks it, not the verb alone
# ("Register to vote by Friday" is a sentence of the story).
_PAYWALL: Final = re.compile(
    r"(?:subscribe|sign in|log in|register|become a (?:member|subscriber)|"
    r"abonnieren sie|melden sie sich an|abonnez-vous|connectez-vous|suscríbete|suscríbase|"
    r"assine|abbonati)\b[^.]{0,60}?\b(?:to (?:continue|keep) reading|to read (?:the|this|more)|"
    r"for (?:unlimited|full) access|um weiterzulesen|weiterlesen|pour (?:lire|continuer)|"
    r"para (?:seguir|continuar) (?:leyendo|lendo)|para ler|per (?:continuare a )?leggere)",
    re.IGNORECASE,
)


# A metered paywall's notice opens with what it is, whatever follows.
_PAYWALL_NOTICE: Final = re.compile(
    r"(?:you(?:'ve|’ve| have) (?:reached|read|used)(?: up)? (?:your|all|the)\b[^.]{0,40}?"
    r"(?:limit|free (?:articles?|stories)|articles? (?:this|for the) month)|"
    r"(?:this|the) (?:article|story|content) is (?:for|only (?:available )?(?:for|to)|"
    r"exclusive (?:to|for)|reserved for) (?:paying )?(?:subscribers|members)|"
    r"to (?:continue|keep) reading,? (?:please )?(?:subscribe|sign in|log in|register)|"
    r"vous avez (?:atteint|lu)|sie haben (?:ihr|das) (?:limit|kontingent)|"
    r"(?:ha|has) (?:alcanzado|llegado a) (?:el|su|tu) límite|você atingiu o limite|"
    r"hai raggiunto il limite)",
    re.IGNORECASE,
)


# "Tu suscripción se está usando en otro dispositivo", "Manage your account".
_READERS_ACCOUNT: Final = re.compile(
    r"\b(?:tu|your|votre|ihr|ihre|dein|deine|sua|seu|tua|tuo)\s(?:suscripción|subscription|"
    r"abonnement|abo|assinatura|abbonamento|cuenta|account|compte|konto|conta)\b",
    re.IGNORECASE,
)


def _is_account_prompt(text: str, words: list[str]) -> bool:
    if _label_then(_ACCOUNT, text, words, max_words=14, any_tail=False):
        return True
    if _short_label(text, words) and _READERS_ACCOUNT.search(text) is not None:
        return True
    if len(words) <= 40 and _PAYWALL_NOTICE.match(text) is not None:
        return True
    return len(words) <= 30 and _PAYWALL.match(text) is not None


# --- Share prompts --------------------------------------------------------

_SOCIAL: Final = _vocabulary(
    "facebook twitter x whatsapp linkedin reddit pinterest telegram flipboard messenger "
    "bluesky threads mastodon instagram tiktok youtube xing email e-mail mail sms print "
    "drucken imprimer imprimir stampa"
)
_SHARE_CORE: Final = _SOCIAL | _vocabulary(
    "share sharing shared tweet pin copy copied teilen kopieren partager copier compartir "
    "copiar compartilhar partilhar condividi copia"
)
_SHARE_WORDS: Final = _SHARE_CORE | _vocabulary(
    "this article story page post video on via to with link url the it a clipboard "
    "artikel beitrag auf per den link-adresse "
    "sur cet l'article le lien par "
    "en este esta artículo noticia el enlace por "
    "no na em o este link por "
    "su il questo articolo "
    "opens in new window tab"
)
_SHARE_PHRASES: Final = re.compile(
    r"(?:sharing is caring|share (?:this|the) (?:story|article|page|post)(?: with \w+)?|"
    r"follow us(?: on \w+)?|folgen sie uns(?: auf \w+)?|suivez-nous(?: sur \w+)?|"
    r"síguenos(?: en \w+)?|siga-nos(?: no \w+)?|seguici(?: su \w+)?|"
    r"link (?:copied|kopiert)|lien copié|enlace copiado|link copiado|link copiato)\W{0,3}",
    re.IGNORECASE,
)
_SHARE_LABEL: Final = re.compile(
    r"(?:share|teilen|partager|compartir|compartilhar|partilhar|condividi)"
    r"(?: this| the story| the article| cet article| este artículo)?\s*:",
    re.IGNORECASE,
)


# "Sigue toda la información de Economía en Facebook": a follow prompt ends on
# the network it sends the reader to.
_FOLLOW_ON_NETWORK: Final = re.compile(
    r"(?:follow|sigue|siga|síguenos|suivez|segui|seguici|seguite|folgen sie|folge)\b"
    r"[^.]{0,80}?\s(?:on|en|sur|su|auf|bei|no|na|in)\s(?:facebook|twitter|x|instagram|"
    r"whatsapp|telegram|linkedin|tiktok|youtube|threads|bluesky|google news|flipboard)\W{0,3}",
    re.IGNORECASE,
)


def _is_share_prompt(text: str, words: list[str]) -> bool:
    if _SHARE_PHRASES.fullmatch(text):
        return True
    if len(words) <= 20 and _FOLLOW_ON_NETWORK.fullmatch(text):
        return True
    if _SHARE_LABEL.match(text) and _short_label(text, words, 16):
        return True
    if len(words) > 12:
        return False
    tokens = [word.strip(".,:;!?()[]|•·").casefold() for word in words]
    tokens = [token for token in tokens if token]
    return (
        bool(tokens)
        and all(token in _SHARE_WORDS for token in tokens)
        and any(token in _SHARE_CORE for token in tokens)
    )


# --- Filed under, tags, topics --------------------------------------------

_TOPIC_LABEL: Final = re.compile(
    r"(?:filed (?:under|in)|posted in|tags?|tagged(?: with)?|topics?|related topics|"
    r"categor(?:y|ies)|keywords?|more on|more about|in this (?:article|story)|"
    r"themen|thema|schlagw(?:ö|oe)rter|stichw(?:ö|oe)rter|"
    r"mots[- ]cl(?:é|e)s|sujets?|th(?:è|e)mes?|"
    r"etiquetas?|temas?|palabras clave|"
    r"assuntos|tópicos|"
    r"argomenti|parole chiave)\s*:",
    re.IGNORECASE,
)
_FILED_UNDER: Final = re.compile(
    r"(?:filed (?:under|in)|posted in|tagged with|abgelegt unter|classé dans|archivado en)\b",
    re.IGNORECASE,
)
_TOPIC_ALONE: Final = re.compile(
    r"(?:filed under|tags|topics|related topics|categories|keywords|themen|mots-clés|"
    r"sujets|etiquetas|temas|argomenti)\W{0,3}",
    re.IGNORECASE,
)


def _is_topic_label(text: str, words: list[str]) -> bool:
    if len(words) > 30:
        return False
    if len(words) <= 3 and _TOPIC_ALONE.fullmatch(text):
        return True
    if _TOPIC_LABEL.match(text):
        return len(words) <= 30 and not _reads_as_sentence(text, words)
    return _FILED_UNDER.match(text) is not None and _short_label(text, words, 16)


# --- Bylines --------------------------------------------------------------

_BYLINE_PREFIX: Final = re.compile(
    r"\(?(?:(?:written|words|story|text|reporting|additional reporting|edited|editing|"
    r"compiled|posted|published|produced|interview) by|by|"
    r"von|text(?: von)?:?|autor(?:in)?:|author:|"
    r"par|écrit par|texte:?|auteur:|"
    r"por|escrito por|texto:?|redacción:?|reportagem:?|"
    r"di|a cura di|testo:?)\s+",
    re.IGNORECASE,
)
_REPORTING_TRAILER: Final = re.compile(
    r"\(?(?:additional )?(?:reporting|writing|editing) by\b", re.IGNORECASE
)
_NAME_CONNECTORS: Final = _vocabulary(
    "and und et y e & de da di do dos das del della van von der den du la le al bin ibn ten ter st."
)
# Capitalised words that start a sentence after "By"/"Von"/"Par" but never a name.
_NOT_NAMES: Final = _vocabulary(
    "then now noon midnight dawn dusk nightfall daybreak morning evening "
    "afternoon night midday lunchtime tonight today tomorrow yesterday early late mid end "
    "christmas easter contrast comparison law far most all some many one two three four "
    "five six seven eight nine ten "
    "montag dienstag mittwoch donnerstag freitag samstag sonntag anfang ende mitte heute "
    "lundi mardi mercredi jeudi vendredi samedi dimanche ailleurs "
    "lunes martes miércoles jueves viernes sábado domingo "
    "segunda terça quarta quinta sexta "
    "lunedì martedì mercoledì giovedì venerdì sabato domenica"
)
# Words a title-case subheading has and a name never does: "By Any Means
# Necessary", "By Popular Demand", "By Heart".
_NEVER_IN_NAMES: Final = _vocabulary(
    "a an any all some every each our my your his her their its this that these those "
    "what which how why when where who means way popular demand default design accident "
    "chance hand heart nature definition force order appointment request numbers hook crook "
    "ein eine einer jeder alle unser unsere un une nos tout tous uno una todos nuestro"
)
_BYLINE_BREAK_WORDS: Final = _vocabulary(
    "on at in for from with updated published posted am um le el em il à a | "
    "aktualisiert veröffentlicht publié actualizado publicado atualizado aggiornato "
    "pubblicato"
)


def _is_name_word(token: str) -> bool:
    bare = token.strip(",;:()")
    if not bare:
        return False
    folded = bare.casefold()
    if folded in _NAME_CONNECTORS or folded in _AGENCIES:
        return True
    return bare[0].isupper() and any(character.isalpha() for character in bare)


# Chinese pages credit their editor, reporter and source on a labelled line.
_CJK_CREDIT: Final = re.compile(
    r"(?:责任编辑|编辑|记者|来源|文章来源|本文来源|原标题|图片来源)\s?[:：]"
)


def _is_byline(text: str, words: list[str]) -> bool:
    """A byline: "By Jane Doe", "Von Max Muster, Berlin", "By Jane Doe | Updated 5:30 PM".

    After the prefix come one or more names (capitalised words, and joining
    words such as "and", "de", "von"), then nothing, or a separator (a comma,
    a bar, "on", "for", "updated") and a short tail: a role, an agency, a
    place or a time. "By noon, the river had crested." and "Von Berlin aus
    fuhr der Zug weiter." fail at the name, "By Friday, the deal was dead."
    at the tail.
    """
    if _REPORTING_TRAILER.match(text):
        return len(words) <= 40
    if len(text) <= 60 and _CJK_CREDIT.match(text):
        return True
    prefix = _BYLINE_PREFIX.match(text)
    if prefix is None or len(words) > 20:
        return False
    rest = text[prefix.end() :].split()
    taken = names = 0
    closed = False
    for token in rest:
        if token.casefold() in _BYLINE_BREAK_WORDS or not _is_name_word(token):
            break
        taken += 1
        bare = token.strip(",;:()").casefold()
        if bare not in _NAME_CONNECTORS:
            if names == 0 and _is_time_or_sentence_word(bare):
                return False
            if bare in _NEVER_IN_NAMES:
                return False
            names += 1
        if token.endswith((",", ";", ")")):
            closed = True
            break
    if names == 0 or not _names_a_byline(rest[:taken], names):
        return False
    tail = rest[taken:]
    if not tail:
        return True
    separated = closed or tail[0].casefold() in _BYLINE_BREAK_WORDS or tail[0] in _SEPARATORS
    if not separated or len(tail) > 12:
        return False
    tail_text = " ".join(tail)
    return len(tail) <= 3 or not _SENTENCE_END.search(tail_text) or _volatile(tail_text)


def _names_a_byline(name: list[str], count: int) -> bool:
    """Whether the name part reads as a person or an agency, not a subheading.

    One word must be an agency or in capitals ("By Reuters", "Von dpa", "BY
    AP"), so "By Design" is not a byline; "The" must open an organisation of
    at least two more words ("By The Associated Press", not "By The Numbers").
    """
    first = name[0].strip(",;:()")
    if first.casefold() == "the":
        return count >= 3
    if count == 1:
        return first.casefold() in _AGENCIES or (len(first) > 1 and first.isupper())
    return True


_SEPARATORS: Final = frozenset({"|", "·", "•", "-", "–", "—", "/", "("})


def _is_time_or_sentence_word(word: str) -> bool:
    bare = word.rstrip(".")
    for possessive in ("'s", "’s"):
        bare = bare.removesuffix(possessive)
    return bare in _NOT_NAMES or bare in _ANCHOR_WORDS


# --- Reading times --------------------------------------------------------

_READING_TIME: Final = re.compile(
    r"(?:\b\d{1,3}\s?[-‐‑]?\s?(?:min(?:ute)?s?|minuten|minutos|minuti|mn)\.?\s*"
    r"(?:read(?:ing)?|lesezeit|lesedauer|lesen|de lecture|de lectura|de leitura|di lettura|"
    r"lettura|lectura|leitura)\b"
    r"|\b(?:reading time|read time|time to read|lesezeit|lesedauer|temps de lecture|"
    r"tiempo de lectura|tempo de leitura|tempo di lettura)\s*:?\s*"
    r"(?:ca\.?\s?|about\s|approx\.?\s?|environ\s|unos\s|cerca de\s|circa\s)?\d{1,3}\b"
    r"|\blisten(?:ing)? time\b)",
    re.IGNORECASE,
)


def _is_reading_time(text: str, words: list[str]) -> bool:
    return _short_label(text, words, 10) and _READING_TIME.search(text) is not None


# --- Dates, times, timestamps ---------------------------------------------

_MONTHS: Final = _vocabulary(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "januar jänner februar märz mai juni juli oktober dezember mär okt dez "
    "janvier février mars avril juin juillet août septembre octobre novembre décembre "
    "janv févr fév avr juil déc "
    "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre "
    "noviembre diciembre ene abr ago dic "
    "janeiro fevereiro março maio junho julho setembro outubro novembro dezembro fev "
    "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre gen mag giu "
    "lug ott"
)
_WEEKDAYS: Final = _vocabulary(
    "monday tuesday wednesday thursday friday saturday sunday "
    "mon tue tues wed thu thur thurs fri sat sun "
    "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag "
    "lundi mardi mercredi jeudi vendredi samedi dimanche lun mer jeu ven sam dim "
    "lunes martes miércoles jueves viernes sábado domingo "
    "segunda terça quarta quinta sexta feira "
    "lunedì martedì mercoledì giovedì venerdì sabato domenica"
)
_RELATIVE_DAYS: Final = _vocabulary(
    "today tonight yesterday tomorrow now ago noon midnight "
    "heute gestern morgen jetzt soeben eben "
    "aujourd'hui hier demain instant maintenant "
    "hoy ayer mañana ahora "
    "hoje ontem amanhã agora "
    "oggi ieri domani adesso"
)
_TIME_UNITS: Final = _vocabulary(
    "second seconds sec secs minute minutes min mins hour hours hr hrs h day days week weeks "
    "month months year years yr yrs "
    "sekunde sekunden minuten std stunde stunden tag tage tagen woche wochen monat monate "
    "monaten jahr jahre jahren "
    "seconde secondes heure heures jour jours semaine semaines mois an ans année années "
    "segundo segundos minuto minutos hora horas día días dia dias semana semanas mes meses "
    "año años ano anos "
    "secondo secondi minuti ora ore giorno giorni settimana settimane mese mesi anno anni"
)
_CLOCK_WORDS: Final = _vocabulary(
    "am pm a.m p.m uhr o'clock hs et est edt ct cst cdt mt mst mdt pt pst pdt akst hst gmt "
    "utc bst ist cet cest eet eest wet mez mesz aest aedt jst kst hkt sgt z"
)
_STAMP_LABELS: Final = _vocabulary(
    "updated update published posted modified "
    "aktualisiert veröffentlicht geändert erschienen "
    "mis publié publiée modifié modifiée "
    "actualizado actualizada publicado publicada "
    "atualizado atualizada "
    "aggiornato aggiornata pubblicato pubblicata"
)
_STAMP_CONNECTORS: Final = _vocabulary(
    "at on the of um am an à a le la el los las de del du d des em às ao das dos no na "
    "alle il y et and und e o ou or since seit depuis desde dal ca approx about around "
    "gegen vers last first zuletzt date datum fecha data stand time zeit just gerade vor "
    "hace há fa jour"
)
_ANCHOR_WORDS: Final = _MONTHS | _WEEKDAYS | _RELATIVE_DAYS | _STAMP_LABELS
# A line that starts with one of these is a time, never a place.
_STAMP_LEADERS: Final = _STAMP_LABELS | _RELATIVE_DAYS | frozenset({"last", "zuletzt", "stand"})
_NUMBER: Final = re.compile(
    r"\d{1,4}(?:[:./h]\d{1,4}){0,3}(?:st|nd|rd|th|er|e|o|a|º|ª|h|hs|uhr|am|pm|z)?"
    r"|\d{1,2}t\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?z?"
)
_DATE_SHAPED: Final = re.compile(r"\d[:./h]\d|^(?:19|20)\d\d$|\d(?:st|nd|rd|th|er|º|t)")
_TOKEN_BREAKS: Final = str.maketrans({character: " " for character in ",;|·•()[]–—-+"})


def _stamp_tokens(text: str) -> list[str]:
    tokens = []
    for raw in text.casefold().replace("’", "'").translate(_TOKEN_BREAKS).split():
        token = raw.strip(".:!?\"'")
        if token[1:2] == "'" and token[:1] in ("l", "d"):
            token = token[2:]
        if token:
            tokens.append(token)
    return tokens


def _is_time_word(token: str) -> bool:
    return (
        token in _MONTHS
        or token in _WEEKDAYS
        or token in _RELATIVE_DAYS
        or token in _TIME_UNITS
        or token in _CLOCK_WORDS
        or token in _STAMP_LABELS
        or token in _STAMP_CONNECTORS
    )


def _is_stamp(text: str) -> bool:
    """Nothing but a date, a time, a relative time or a timestamp label.

    "November 19, 2024", "Nov 19, 6:55 AM", "19.11.2024, 06:55 Uhr", "Today
    12:01 AM", "Updated 2 hours ago", "vor 2 Stunden", "Updated". Every token
    is a number or a time word, and one of them pins a time: a date-shaped
    number, a month, a weekday, "today", "ago", a label, or a number with a unit.
    """
    tokens = _stamp_tokens(text)
    if not tokens or len(tokens) > 16:
        return False
    anchored = numbered = with_unit = False
    for token in tokens:
        if _NUMBER.fullmatch(token):
            numbered = True
            anchored = anchored or _DATE_SHAPED.search(token) is not None
        elif token in _ANCHOR_WORDS:
            anchored = True
        elif token in _TIME_UNITS:
            with_unit = True
        elif token in _CLOCK_WORDS:
            anchored = anchored or numbered
        elif token not in _STAMP_CONNECTORS:
            return False
    return anchored or (numbered and with_unit)


_STAMP_LABEL: Final = re.compile(
    r"(?:(?:last|latest|first|zuletzt|originally|article)\s+)?"
    r"(?P<label>updated?|published|posted|modified|aktualisiert|veröffentlicht|geändert|"
    r"erschienen|mis à jour|publiée?|modifiée?|actualizad[oa]|publicad[oa]|atualizad[oa]|"
    r"aggiornat[oa]|pubblicat[oa]|stand|date|datum|fecha|data)\b"
    # "Date created : 2015-05-12", "Date de création : ...": a second word of the label.
    r"(?:\s+(?:created|modified|published|de création|de publication|de modification))?"
    r"\s*(?P<colon>:)?",
    re.IGNORECASE,
)
_COLON_ONLY_LABELS: Final = frozenset({"stand", "date", "datum", "fecha", "data"})
# "Published: The Daily Example": after these labels anything short is the
# stamp's source. Not "Update:", which heads a live blog's new paragraph.
_SOURCE_LABELS: Final = frozenset({"published", "posted", "veröffentlicht", "erschienen"})


def _starts_with_stamp_label(text: str, words: list[str]) -> bool:
    """A stamp label and its time: "Updated 5:30 PM by Jane Doe", "Stand: 19.11.2024".

    The label must be followed by a time ("Updated figures show ..." is a
    sentence of the story), and the line must not read as a sentence.
    """
    match = _STAMP_LABEL.match(text)
    if match is None or len(words) > 20 or _reads_as_sentence(text, words):
        return False
    label = match.group("label").casefold()
    rest = _stamp_tokens(text[match.end() :])
    if not rest:
        return label not in _COLON_ONLY_LABELS
    if match.group("colon") and label in _SOURCE_LABELS and len(words) <= 10:
        return True
    for token in rest[:4]:
        if token in _STAMP_CONNECTORS:
            continue
        return bool(
            _NUMBER.fullmatch(token)
            or token in _MONTHS
            or token in _WEEKDAYS
            or token in _RELATIVE_DAYS
        )
    return False


def _is_timestamp(text: str, words: list[str]) -> bool:
    if len(words) <= 16 and _is_stamp(text):
        return True
    if _starts_with_stamp_label(text, words):
        return True
    # "Jane Doe · Nov 19, 2024 · 5 min read": a short meta line with a stamp in it.
    return (
        len(words) <= _SHORT_WORDS and _SEGMENT_BREAK.search(text) is not None and _volatile(text)
    )


# Text is normalised (single spaces) before this runs, so one space either side.
_SEGMENT_BREAK: Final = re.compile(r" ?(?:[|·•▪◦⋅]| [-–—](?= )) ?")
# "Updated 5:30 PM" inside a longer line: "By Jane Doe Updated 5:30 PM".
_EMBEDDED_STAMP: Final = re.compile(
    r"\b(?:updated|published|posted|aktualisiert|veröffentlicht|mis à jour|publié|actualizado|"
    r"publicado|atualizado|aggiornato|pubblicato)\b\s?:?\s?"
    r"(?:on\s|at\s|am\s|um\s|le\s|el\s|em\s|il\s|à\s|a las\s|alle\s|às\s)?"
    r"(?:\d|today|yesterday|just now|heute|gestern|aujourd'hui|hier|hoy|ayer|hoje|ontem|oggi|"
    r"ieri|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mär|mai|okt|dez|janv|févr|avr|"
    r"juil|août|déc|ene|abr|ago|dic|fev|out|gen|mag|giu|lug|ott|set)[a-zéûç]{0,7}\b\.?\s?\d)",
    re.IGNORECASE,
)
_RELATIVE_TIME: Final = re.compile(
    r"\b(?:\d{1,3}|a|an|one|few)\s?(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|"
    r"w|weeks?|mo|months?|y|yrs?|years?)\s+ago\b"
    r"|\bvor\s\d{1,3}\s?(?:sek\.?|sekunden|min\.?|minuten|std\.?|stunden|tagen|wochen|monaten|"
    r"jahren)\b"
    r"|\bil y a\s\d{1,3}\s?(?:s|sec|secondes?|min|minutes?|h|heures?|jours?|semaines?|mois)\b"
    r"|\bhace\s\d{1,3}\s?(?:s|seg|segundos?|min|minutos?|h|horas?|días?|semanas?|meses)\b"
    r"|\bhá\s\d{1,3}\s?(?:s|seg|segundos?|min|minutos?|h|horas?|dias?|semanas?|meses)\b"
    r"|\b\d{1,3}\s?(?:secondi|minuti|min|ore|giorni|settimane|mesi|anni)\sfa\b"
    r"|\bjust now\b|\bgerade eben\b|\bà l'instant\b|\bahora mismo\b|\bagora mesmo\b",
    re.IGNORECASE,
)


def _is_volatile_segment(segment: str) -> bool:
    words = segment.split()
    return (
        _is_stamp(segment)
        or _starts_with_stamp_label(segment, words)
        or _READING_TIME.search(segment) is not None
        or _is_count(segment, words)
    )


# --- View, comment and share counts ---------------------------------------

_COUNT: Final = re.compile(
    r"(?<![\w.,])\d{1,3}(?:[.,\s]\d{3}){0,4}(?:[.,]\d{1,2})?\s?(?:[kmb]|mil|tsd\.?|mio\.?)?\+?\s?"
    r"(?:views?|reads?|comments?|shares?|likes?|reactions?|replies|reply|responses?|votes?|"
    r"aufrufe|kommentare?|leser|vues?|lectures?|commentaires?|partages|réactions|"
    r"visitas|vistas|visualizaciones|lecturas|comentarios?|compartidos|"
    r"visualizações|leituras|comentários?|partilhas|compartilhamentos|"
    r"visualizzazioni|letture|commenti|commento|condivisioni)\b",
    re.IGNORECASE,
)
_COMMENTS_LABEL: Final = re.compile(
    r"(?:comments?|reader comments|kommentare?|commentaires?|comentarios?|comentários?|"
    r"commenti|commento|views|aufrufe)\s?(?:\(\d{1,7}\)|:?\s?\d{1,7})?",
    re.IGNORECASE,
)


def _is_count(text: str, words: list[str]) -> bool:
    if len(words) > 8:
        return False
    if _COMMENTS_LABEL.fullmatch(text):
        return True
    if _COUNT.search(text) is None:
        return False
    remainder = _COUNT.sub(" ", text)
    return not any(character.isalnum() for character in remainder)


# --- Read more, related ---------------------------------------------------

# Labels that are never story text, so any short line they start is a link.
_RELATED_LABEL: Final = re.compile(
    r"(?:read more|read also|also read|read next|more reading|further reading|"
    r"related(?: articles?| stories| content| coverage| links| reading| news| posts?| videos?)|"
    r"recommended(?: for you| stories| reading| articles?)|"
    r"most read|trending(?: now| stories)|"
    r"you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|"
    r"editor'?s picks?|more (?:stories|news)\b|more (?:from|in) (?-i:[A-Z])\w*|"
    r"continue reading|keep reading|next (?:article|story|up)|previous (?:article|story)|up next|"
    r"lesen sie (?:auch|mehr)|auch interessant|mehr zum thema|"
    r"das könnte sie (?:auch )?interessieren|weiterlesen|weitere artikel|meistgelesen|"
    r"à lire aussi|a lire aussi|à lire également|lire aussi|lire la suite|à voir aussi|"
    r"voir aussi|sur le même sujet|les plus lus|"
    r"lee también|lea también|leer más|sigue leyendo|seguir leyendo|"
    r"(?:también )?te puede interesar|lo más leído|noticias relacionadas|más información|"
    r"leia também|leia mais|saiba mais|veja também|continue lendo|mais lidas|"
    r"notícias relacionadas|"
    r"leggi anche|leggi di più|leggi tutto|potrebbe interessarti|continua a leggere|"
    r"i più letti|articoli correlati|per saperne di più)(?=\W|$)",
    re.IGNORECASE,
)
# Words that are story text too, so they count only alone or before a colon.
# "Latest", "More" and "Also" are left out: a story's own subheadings use them.
_RELATED_COLON: Final = re.compile(
    r"(?:related|see also|recommended|trending|top stories|don'?t miss|mehr dazu|"
    r"most (?:popular|viewed|shared|commented)|"
    r"latest (?:news|stories|headlines)|siehe auch|voir|ver también|vea también|"
    r"veja|vedi anche)\s*(?::|$)",
    re.IGNORECASE,
)


def _is_related_link(text: str, words: list[str]) -> bool:
    if _RELATED_COLON.match(text) and _short_label(text, words, 20):
        return True
    return _label_then(_RELATED_LABEL, text, words, max_words=20, any_tail=True)


# --- Newsletter and app promos --------------------------------------------

_PROMO: Final = re.compile(
    r"(?:sign(?:ing)?[\s-]?up|subscribe|register|join|get|receive|download|install|enter|"
    r"never miss|don'?t miss|stay (?:informed|in the know|up to date|updated|connected|ahead)|"
    r"want|like (?:this|what you)|enjoy(?:ed)?|love|follow|try|listen|check out|"
    r"abonnieren sie|abonnieren|melden sie sich|laden sie|holen sie sich|erhalten sie|"
    r"inscrivez-vous|abonnez-vous|recevez|téléchargez|"
    r"suscríbete|suscríbase|recibe|reciba|descarga|descargue|"
    r"assine|inscreva-se|receba|baixe|"
    r"iscriviti|ricevi|scarica)\b"
    # Word and gap classes are disjoint, so the words between the verb and
    # the keyword split one way only and the match stays linear.
    r"(?:\W{1,3}\w{1,20}){0,6}?\W{1,3}"
    r"(?:newsletters?|inbox|e-?mails?|apps?|application|applicazione|aplicación|aplicativo|"
    r"alerts?|notifications?|briefings?|digest|podcasts?|updates|browser|"
    r"latest (?:news|updates|headlines|stories)|breaking news|boletín|postfach|posteingang|"
    r"courriel|correo|caixa de entrada)\b",
    re.IGNORECASE,
)
_PROMO_ALONE: Final = re.compile(
    r"(?:newsletters?|(?:our |the )?app|get the app|newsletter (?:sign[- ]?up|anmeldung)|"
    r"(?:jetzt )?(?:(?:den|unseren) )?newsletter (?:abonnieren|bestellen)|"
    r"app (?:herunterladen|downloaden)|sign up|sign up now)\W{0,3}",
    re.IGNORECASE,
)
_ADDRESSING_READER: Final = re.compile(
    r"\b(?:our|us|we|you|your|unseren?|unsere|ihr|ihre|sie|notre|nos|vous|votre|nuestros?|"
    r"nuestras?|tu|tus|su|nossos?|nossas?|você|seu|sua|nostr[aoie]|tua|tuo)\b",
    re.IGNORECASE,
)


# "海量资讯、精准解读，尽在新浪财经APP": everything is in the app; download it.
_CJK_APP_PROMO: Final = re.compile(
    r"[^。]{0,40}(?:尽在|下载|打开|关注)[^。]{0,20}(?:APP|App|app|客户端|公众号)"
)


def _is_promo(text: str, words: list[str]) -> bool:
    if _PROMO_ALONE.fullmatch(text):
        return True
    if len(text) <= 60 and _CJK_APP_PROMO.match(text):
        return True
    if len(words) > 40 or _PROMO.match(text) is None:
        return False
    return _short_label(text, words) or _ADDRESSING_READER.search(text) is not None


# --- Copyright lines ------------------------------------------------------

_COPYRIGHT_START: Final = re.compile(
    r"(?:©|\(c\)\s?(?:\d{4}|[A-Z])|copyright\s?(?:©|\(c\)|\d{4}|by\b)|"
    r"this material may not be (?:published|reproduced)|"
    r"reproduction in whole or in part|(?:reproduction|republication|redistribution) "
    r"(?:is )?(?:prohibited|forbidden|not permitted)|"
    r"all rights reserved|alle rechte vorbehalten|tous droits réservés|"
    r"todos los derechos reservados|todos os direitos reservados|tutti i diritti riservati)",
    re.IGNORECASE,
)
_RIGHTS_RESERVED_END: Final = re.compile(
    r"(?:all rights reserved|alle rechte vorbehalten|tous droits réservés|"
    r"todos los derechos reservados|todos os direitos reservados|tutti i diritti riservati|"
    r"reproduction interdite|nachdruck verboten)\W{0,3}$",
    re.IGNORECASE,
)

_RESERVED_STEMS: Final = ("reserv", "vorbehalten", "riservati", "interdite", "verboten")


def _is_copyright(text: str, words: list[str]) -> bool:
    if len(words) > 60:
        return False
    if _COPYRIGHT_START.match(text):
        return True
    # The phrase closes the line, so only the line's end is searched.
    end = text[-48:]
    return any(stem in end.casefold() for stem in _RESERVED_STEMS) and bool(
        _RIGHTS_RESERVED_END.search(end)
    )


# --- Affiliate disclaimers ------------------------------------------------

# The site speaking of its own earnings ("we may earn a commission", "nous
# percevons une commission"), or naming its affiliate links: a story about a
# commission ("The European Commission told us ...", "the broker earns a
# commission") has neither shape.
_AFFILIATE: Final = re.compile(
    r"\baffiliate[- ](?:links?|commissions?|partners?|programs?)\b|"
    r"\bas an amazon associate\b|\bfrom qualifying purchases\b|"
    r"\b(?:we|this (?:web)?site|our (?:web)?site)(?:\s\w{1,15}){0,3}?\s"
    r"(?:earn|earns|receive|receives|get|gets|make|makes|collect|collects)\b"
    r"(?:\W{1,3}\w{1,20}){0,3}?\W{1,3}(?:commissions?|share of (?:the )?(?:sales?|revenue))|"
    r"\b(?:erhalten|bekommen) wir(?:\s\w{1,15}\.?){0,3}?\s(?:eine )?provision|"
    r"\bwir (?:erhalten|bekommen)(?:\s\w{1,15}\.?){0,3}?\s(?:eine )?provision|"
    r"\b(?:partner|affiliate|provisions)-?links?\b|"
    r"\bliens? (?:d'affiliation|affiliés?|sponsorisés?)\b|"
    r"\bnous (?:percevons|touchons|recevons)(?:\s\w{1,15}){0,3}?\s(?:une )?commission|"
    r"\benlaces? (?:de afiliad[oa]s?|afiliados)\b|"
    r"\b(?:recibimos|obtenemos|ganamos)(?:\s\w{1,15}){0,3}?\s(?:una )?comisión|"
    r"\blinks? (?:de afiliad[oa]s?|afiliados)\b|"
    r"\b(?:recebemos|ganhamos)(?:\s\w{1,15}){0,3}?\s(?:uma )?comissão|"
    r"\blink affiliati\b|"
    r"\b(?:riceviamo|percepiamo|guadagniamo)(?:\s\w{1,15}){0,3}?\s(?:una )?commissione",
    re.IGNORECASE,
)
_AFFILIATE_STEMS: Final = (
    "affiliat",
    "afiliad",
    "commission",
    "comisión",
    "comissão",
    "provision",
    "amazon associate",
    "qualifying purchase",
    "share of",
)
_SHOPPING: Final = re.compile(
    r"\b(?:links?|buy|bought|purchases?|shop|shopping|retailers?|products?|kauf\w{0,4}|"
    r"einkauf\w{0,4}|liens?|achat\w{0,2}|achetez|enlaces?|compras?|compra\w{0,2}|"
    r"acquist\w{0,2})\b",
    re.IGNORECASE,
)
# A quotation is someone speaking in the story, never the site's own notice.
_QUOTE_OPENERS: Final = "\"'“”„‘’«»‹›"


def _is_affiliate_disclaimer(text: str, words: list[str]) -> bool:
    if len(words) > 80 or text.startswith(tuple(_QUOTE_OPENERS)):
        return False
    # Substring checks first: most paragraphs have none of these stems, and
    # skipping the patterns for them keeps a story's long paragraphs cheap.
    folded = text.casefold()
    if not any(stem in folded for stem in _AFFILIATE_STEMS):
        return False
    return _AFFILIATE.search(text) is not None and _SHOPPING.search(text) is not None


# --- Advertisement labels -------------------------------------------------

_ADVERTISEMENT: Final = re.compile(
    r"(?:advertisement|advertising|advert|ads?|sponsored(?: content| post| by \w+)?|"
    r"paid (?:content|post|partnership)|partner content|promoted(?: content)?|"
    r"(?:story|article) continues (?:below|after)(?: this)?(?: advertisement| ad)?|"
    r"continue reading (?:below|the main story)|scroll to continue(?: with content)?|"
    r"advertisement\W{1,3}scroll to continue|skip advertisement|remove ads|ad feedback|"
    r"report (?:this|an) ad|close ad|"
    r"anzeige|werbung|gesponsert|sponsored|publicité|pub|sponsorisé|contenu sponsorisé|"
    r"publicidad|patrocinado|contenido patrocinado|publicidade|conteúdo patrocinado|"
    r"pubblicità|sponsorizzato|contenuto sponsorizzato)\W{0,3}",
    re.IGNORECASE,
)


def _is_advertisement(text: str, words: list[str]) -> bool:
    return len(words) <= 8 and _ADVERTISEMENT.fullmatch(text) is not None


# --- Cookie, privacy and legal notices ------------------------------------

# The site saying it uses cookies, or asking to accept them: a story about
# cookies ("the regulator fined Google for setting cookies") has neither.
_COOKIE_NOTICE: Final = re.compile(
    r"\b(?:we|this (?:web)?site|our (?:web)?site|wir|diese (?:website|webseite|seite)|nous|"
    r"ce site|este (?:sitio|site)|questo sito)(?:\s[\w'’-]{1,15}){0,3}?\s"
    r"(?:use|uses|utilise|utilisons|verwenden|verwendet|nutzen|nutzt|utiliza|usa|utilizza)\b"
    r"[^.]{0,40}?\bcookies?\b|"
    r"\b(?:utilizamos|usamos|utilizziamo)\b[^.]{0,40}?\bcookies?\b|"
    r"\b(?:you|vous|sie|usted|você)\b[^.]{0,40}?\b(?:accept|agree to|consent to|akzeptieren|"
    r"zustimmen|acceptez|aceptas?|aceita|accetti)\b[^.]{0,30}?\bcookies?\b",
    re.IGNORECASE,
)
_LEGAL_LINK: Final = re.compile(
    r"(?:(?:accept|reject|decline|manage|customi[sz]e|allow)(?: all)? cookies?|"
    r"cookie (?:settings|preferences|policy|consent|notice|banner)|privacy (?:policy|settings|"
    r"notice|center|centre)|terms (?:of (?:use|service)|and conditions)|"
    r"privacy (?:&|and) cookies|do not sell (?:or share )?my (?:personal )?info(?:rmation)?|"
    r"contact us|about us|kontakt|nous contacter|contacto|contato|contatti|"
    r"datenschutz(?:erklärung)?|impressum|cookie-einstellungen|"
    r"mentions légales|politique de confidentialité|gestion des cookies|"
    r"aviso legal|política de privacidad|política de cookies|"
    r"política de privacidade|termos de uso|"
    r"informativa (?:sulla )?privacy|note legali)\W{0,3}",
    re.IGNORECASE,
)


def _is_notice(text: str, words: list[str]) -> bool:
    if len(words) <= 8 and _LEGAL_LINK.fullmatch(text):
        return True
    return (
        len(words) <= 80
        and not text.startswith(tuple(_QUOTE_OPENERS))
        and "cookie" in text.casefold()
        and _COOKIE_NOTICE.search(text) is not None
    )


# --- Originally published -------------------------------------------------

_REPUBLISHED: Final = re.compile(
    r"(?:this (?:article|story|piece|post|report|interview|essay|column|content) "
    r"(?:was|is|has been|first|originally)(?: \w{1,15}){0,3}? "
    r"(?:published|appeared|ran|posted|republished|reproduced|reprinted)\b|"
    r"(?:originally|first) (?:published|appeared|posted)\b|"
    r"a version of this (?:article|story|piece)\b|"
    r"this is an (?:updated|edited|abridged) version of\b|"
    r"(?:republished|reprinted|reproduced) with permission\b|"
    r"(?:dieser|der) (?:artikel|beitrag|text) (?:erschien|ist) (?:zuerst|erstmals|ursprünglich)|"
    r"zuerst erschienen\b|"
    r"cet article (?:a été|est) (?:initialement|d'abord|originellement|originalement) publié|"
    r"(?:article )?initialement publié\b|"
    r"este artículo (?:fue|se) publicado (?:originalmente|por primera vez)|"
    r"este artículo se publicó (?:originalmente|por primera vez)|"
    r"este (?:artigo|texto) foi (?:publicado originalmente|originalmente publicado)|"
    r"questo articolo è stato (?:pubblicato originariamente|originariamente pubblicato|"
    r"pubblicato per la prima volta))",
    re.IGNORECASE,
)


def _is_republished_note(text: str, words: list[str]) -> bool:
    return len(words) <= 60 and _REPUBLISHED.match(text) is not None


# --- Click here -----------------------------------------------------------

_CLICK_HERE: Final = re.compile(
    r"(?:please )?(?:click|tap|click or tap|tap or click|klicken sie|klick|cliquez|"
    r"haga clic|haz clic|pulse|clique|clicca|tocca)"
    r"(?: here| ici| hier| aquí| aqui| qui| to| below| sur| on the| the)\b",
    re.IGNORECASE,
)


def _is_click_here(text: str, words: list[str]) -> bool:
    return len(words) <= 30 and _CLICK_HERE.match(text) is not None


# --- Navigation and player labels -----------------------------------------

_NAVIGATION: Final = re.compile(
    r"(?:skip to (?:main )?(?:content|navigation)|back to top|menu|main menu|search|home|"
    r"powered by [\w .-]{1,30}|"
    r"(?:[^\W\d_][\w .'’-]{0,30}:\s?)?-?\d{1,3}\s?°\s?[CF]?(?:\s[^\W\d_]{1,15}){0,2}|"
    r"zur startseite|direkt zum inhalt|zum hauptinhalt|aller au contenu(?: principal)?|"
    r"ir al contenido(?: principal)?|saltar al contenido(?: principal)?|"
    r"ir para o conteúdo(?: principal)?|vai al contenuto(?: principale)?|"
    r"close|open|next|previous|prev|show more|load more|see more|view all|see all|expand|"
    r"collapse|listen to (?:this )?(?:article|story)|listen|play video|watch video|"
    r"watch(?: now)?|play|pause|mute|unmute|full screen|fullscreen|"
    r"zurück nach oben|zum inhalt springen|zum inhalt|startseite|suche|mehr anzeigen|"
    r"artikel anhören|accueil|retour en haut|rechercher|écouter cet article|voir plus|"
    r"menú|inicio|buscar|volver arriba|ver más|escuchar(?: artículo| noticia)?|"
    r"início|voltar ao topo|ver mais|ouvir|pesquisar|"
    r"cerca|torna su|mostra di più|ascolta(?: l'articolo)?)\W{0,3}",
    re.IGNORECASE,
)


def _is_navigation(text: str, words: list[str]) -> bool:
    return len(words) <= 5 and _NAVIGATION.fullmatch(text) is not None


_MENU_BREAK: Final = re.compile(r" [|·•] ")
_CRUMB_BREAK: Final = re.compile(r" [>›»] ")
# "Paris / London / New York" is a list of places; a slashed line is a
# breadcrumb only when it starts at the home page.
_SLASH_BREAK: Final = re.compile(r" / ")
_HOME_WORDS: Final = _vocabulary("home startseite accueil inicio início portada")
_MAX_MENU_ITEM_WORDS: Final = 4
_MIN_MENU_ITEMS: Final = 3
_MENU_BREAKS: Final = ((_MENU_BREAK, False), (_CRUMB_BREAK, False), (_SLASH_BREAK, True))


def _is_menu_line(text: str, words: list[str]) -> bool:
    """A menu, breadcrumb or footer-link line.

    "Home | News | Sports | Obituaries", "Home > News > Weather", "Terms of
    Service | Privacy Policy": items of a few words each, no digits (a meta
    line of byline, date and reading time is read before this), no sentence.
    """
    if len(words) > 30 or any(character.isdigit() for character in text):
        return False
    for breaker, from_home_only in _MENU_BREAKS:
        items = breaker.split(text)
        if len(items) < 2:
            continue
        if any(_is_link_label(item) for item in items) and all(
            _is_link_label(item) or _is_menu_item(item) for item in items
        ):
            return True
        from_home = items[0].casefold() in _HOME_WORDS
        if all(_is_menu_item(item) for item in items) and (
            from_home or (not from_home_only and len(items) >= _MIN_MENU_ITEMS)
        ):
            return True
    return False


def _is_menu_item(item: str) -> bool:
    return 0 < len(item.split()) <= _MAX_MENU_ITEM_WORDS and not _SENTENCE_END.search(item)


def _is_link_label(item: str) -> bool:
    words = item.split()
    return len(words) <= 8 and (
        _LEGAL_LINK.fullmatch(item) is not None or _NAVIGATION.fullmatch(item) is not None
    )


# --- Reader prompts -------------------------------------------------------

_READER_PROMPT: Final = re.compile(
    r"(?:what do you think|what are your thoughts|have your say|"
    r"tell us (?:what you think|your story)|let us know(?= |\W*$)|"
    r"share your (?:thoughts|views|story|experience|opinion|comments)|"
    r"do you have (?:a|any) (?:story|tip|news tip|information|question|photos?|video)s?|"
    r"got a (?:news )?tip|"
    r"leave a (?:comment|reply)|add a comment|post a comment|write a comment|"
    r"join the (?:conversation|discussion|debate)|comments? (?:are|is) (?:closed|disabled)|"
    r"be the first to comment|no comments yet|(?:view|show|load|hide|see) (?:all )?comments|"
    r"jump to comments|read \d{1,6} comments|"
    r"was ist ihre meinung|was meinen sie|diskutieren sie mit|kommentieren|"
    r"kommentar schreiben|"
    r"qu'en pensez-vous|réagissez|laisser un commentaire|ajouter un commentaire|"
    r"¿?qué opinas|¿?qué piensas|deja (?:un|tu) comentario|escribe un comentario|"
    r"o que você acha|deixe (?:um|seu) comentário|"
    r"cosa ne pensi|lascia un commento|scrivi un commento|"
    r"(?:was|is) this (?:article|story) (?:helpful|useful)|did you (?:find this|like this)|"
    r"war dieser (?:artikel|beitrag) hilfreich|cet article vous a[- ]t[- ]il été utile|"
    r"cet article vous a été utile|¿?te ha (?:resultado|parecido) útil|"
    r"este artigo foi útil|questo articolo ti è stato utile)(?=\W|$)",
    re.IGNORECASE,
)


# Prompts that are also what a police appeal or a quote says ("Contact us if
# you saw anything, police urged."): they count only as short labels.
_READER_PROMPT_LABEL: Final = re.compile(
    r"(?:contact (?:us|the author|the reporter|the writer|the newsroom)|"
    r"send us (?:your|a) (?:tip|story|news|photos?|comments?)|sort by|"
    r"tell us more|email the author)(?=\W|$)",
    re.IGNORECASE,
)


def _is_reader_prompt(text: str, words: list[str]) -> bool:
    # The distinctive prompts are sentences themselves ("Let us know in the
    # comments."), so only their length limits them.
    if len(words) <= 40 and _READER_PROMPT.match(text) is not None:
        return True
    return _label_then(_READER_PROMPT_LABEL, text, words, max_words=12, any_tail=True)


_FAMILY_TESTS: Final = (
    (Furniture.ADVERTISEMENT, _is_advertisement),
    (Furniture.NAVIGATION, _is_navigation),
    (Furniture.CAPTION, _is_caption),
    (Furniture.PROMO, _is_promo),
    (Furniture.ACCOUNT, _is_account_prompt),
    (Furniture.SHARE, _is_share_prompt),
    (Furniture.LABEL, _is_topic_label),
    (Furniture.BYLINE, _is_byline),
    (Furniture.READING_TIME, _is_reading_time),
    (Furniture.COUNT, _is_count),
    (Furniture.REPUBLISHED, _is_republished_note),
    (Furniture.TIMESTAMP, _is_timestamp),
    (Furniture.NAVIGATION, _is_menu_line),
    (Furniture.RELATED, _is_related_link),
    (Furniture.COPYRIGHT, _is_copyright),
    (Furniture.DISCLAIMER, _is_affiliate_disclaimer),
    (Furniture.NOTICE, _is_notice),
    (Furniture.CLICK_HERE, _is_click_here),
    (Furniture.PROMPT, _is_reader_prompt),
)

# Letters, spaces and the punctuation of place names: "SPRINGFIELD, Ill.",
# "NEW YORK (AP)", "Saint-Denis", "L'Aquila", "Washington/Brussels".
_PLACE_PUNCTUATION: Final = frozenset(" .,'’()/&-")
