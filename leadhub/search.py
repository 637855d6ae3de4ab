"""Person search: the one rule by which a typed term finds a person, shared by every admin search
box and every partner API `?search=` filter, whichever app's rows (contacts, leads, appointments,
rejected posts) carry the person's phone, email and name.

Base layer: each caller names its own columns, so this module imports no project app.
"""
import re

from django.db.models import Q

PHONE_CHARS = re.compile(r"^[\d\s+().-]+$")

# Where contacts and leads keep the person (appointments and rejected posts name their own columns).
PERSON_SEARCH_FIELDS = {"phone": "phone", "email": "email", "names": ("first_name", "last_name")}


def phone_from_search(term):
    """The normalised +1XXXXXXXXXX form of a typed phone ("(415) 555-0123"), or None.

    Deliberately digit extraction, not `leadhub.phones.normalize_phone`: search must find what is
    stored, including numbers the strict normaliser would refuse today (the fictional 555 range).
    """
    term = term.strip()
    if not PHONE_CHARS.match(term):
        return None
    digits = re.sub(r"\D", "", term)
    if len(digits) == 10 or (len(digits) == 11 and digits.startswith("1")):
        return f"+1{digits[-10:]}"
    return None


def person_search_q(term, *, phone, email=None, names=()):
    """The condition under which a row's person matches `term`.

    A term that reads as a phone in any common form matches the normalised `phone` column exactly
    (an indexed lookup, and nothing else: the digits of a phone are no one's name). Any other term
    matches a part of the `email`, or every whitespace-separated word matches a part of one of the
    `names` columns, so "ada lovelace" finds Ada Lovelace. A blank term matches everyone.
    """
    term = (term or "").strip()
    if not term:
        return Q()
    number = phone_from_search(term)
    if number:
        return Q(**{phone: number})
    conditions = []
    if email:
        conditions.append(Q(**{f"{email}__icontains": term}))
    if names:
        every_word = [Q.create([(f"{name}__icontains", word) for name in names], connector=Q.OR) for word in term.split()]
        conditions.append(Q.create(every_word))
    return Q.create(conditions, connector=Q.OR) if conditions else Q(pk__in=[])
