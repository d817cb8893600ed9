"""A seeded, labeled Faker corpus: chat-like JSONL records with and without PII."""
from __future__ import annotations

import hashlib
import json
import random

from faker import Faker

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def btc_address(rng: random.Random) -> str:
    """A valid base58check P2PKH address (random hash160, real checksum)."""
    payload = b"\0" + rng.randbytes(20)
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n, out = int.from_bytes(raw, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def generators(fake: Faker, rng: random.Random) -> dict:
    """entity -> (make a value, a sentence template using it)."""
    return {
        "EMAIL_ADDRESS": (fake.email, "you can email me at {} anytime"),
        "PHONE_NUMBER": (lambda: fake.numerify("(###) 555-####"), "call my phone {} tonight"),
        "CREDIT_CARD": (lambda: fake.credit_card_number(card_type="visa16"),
                        "my credit card is {} please charge it"),
        "IBAN_CODE": (fake.iban, "wire it to IBAN {} by friday"),
        "US_SSN": (lambda: f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
                   "my social security number is {}"),
        "IP_ADDRESS": (fake.ipv4_public, "the server ip is {} right now"),
        "URL": (fake.url, "see the website {} for details"),
        "CRYPTO": (lambda: btc_address(rng), "send bitcoin to wallet {} quickly"),
        "UUID": (fake.uuid4, "the uuid of the order is {}"),
        "MAC_ADDRESS": (fake.mac_address, "my mac address is {}"),
        "DATE_TIME": (lambda: fake.date(pattern="%m/%d/%Y"), "my birthday date is {}"),
        "US_PASSPORT": (lambda: fake.bothify("#########"), "my us passport number is {}"),
        "US_ITIN": (lambda: f"9{rng.randint(10, 99)}-7{rng.randint(0, 9)}-{rng.randint(1000, 9999)}",
                    "my individual taxpayer itin is {}"),
    }


def make_corpus(seed: int = 7, per_entity: int = 12, negatives: int = 60):
    """(JSONL bytes, labels): labels[(line, json path)] = {entity: value}."""
    fake, rng = Faker("en_US"), random.Random(seed)
    Faker.seed(seed)
    lines, labels = [], {}
    rows = [(e, i) for e in generators(fake, rng) for i in range(per_entity)]
    rows += [(None, i) for i in range(negatives)]
    rng.shuffle(rows)
    gens = generators(fake, rng)
    for n, (entity, _) in enumerate(rows, 1):
        text = fake.sentence(nb_words=12)
        if entity is not None:
            make, template = gens[entity]
            value = make()
            text = f"{fake.sentence(nb_words=6)} {template.format(value)}. {text}"
            labels[(n, "$.messages[0].content")] = {entity: value}
        record = {"id": n, "messages": [{"role": "user", "content": text},
                                        {"role": "assistant", "content": fake.sentence()}]}
        lines.append(json.dumps(record))
    return ("\n".join(lines) + "\n").encode(), labels
