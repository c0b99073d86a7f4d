"""Writes matching.json: labelled lost/found pairs for domain::items::matching.

Each case is a lost (or stolen) object and a found one, as a citizen and a finder would
describe them (the finder knows less, words it differently, and gives the place where it
was found and the day), and whether they are the same object. Written by hand, varied on
purpose: paraphrases, missing brands, colour variants, identifiers typed as a serial by
one and a frame number by the other; the non-pairs are hard ones (same kind, same place,
other brand; the same brand too far away or found before the loss; different identifiers).
Run: python3 make_matching.py > matching.json
"""
import datetime
import json

LUX = (49.6116, 6.1319)  # Luxembourg City centre
ESCH = (49.4958, 5.9806)
DUDEL = (49.4806, 6.0875)


def at(base, dn=0.0, de=0.0):
    # dn, de in metres north and east
    return (round(base[0] + dn / 111_320, 6), round(base[1] + de / 72_400, 6))


def obj(cat, brand=None, model=None, colour=None, desc=None, ids=(), place=LUX, day=1, muni="LU-0304"):
    o = {"category": cat, "description": desc, "lat": place[0], "lon": place[1],
         "municipality": muni, "at": (datetime.date(2026, 10, 1) + datetime.timedelta(days=day - 1)).isoformat() + "T12:00:00Z",
         "identifiers": [list(i) for i in ids]}
    for k, v in (("brand", brand), ("model", model), ("colour", colour)):
        if v:
            o[k] = v
    return o


pairs = [
    # identical identifiers, typed differently
    (obj("bicycle", "Gazelle", "Orange C7", "blue", "city bike with basket", [("frame_number", "GZ12345678")]),
     obj("bicycle", None, None, "blue", "bike left at the station", [("serial_number", "GZ12345678")], at(LUX, 800), 4)),
    (obj("phone", "Samsung", "Galaxy S21", "black", "cracked screen, green case", [("imei", "490154203237518")]),
     obj("phone", "Samsung", None, "black", "phone in a green case", [("imei", "490154203237518")], at(LUX, 200, 100), 2)),
    (obj("laptop", "Apple", "MacBook Air", "silver", "stickers on the lid", [("serial_number", "C02XK1ABJG5J")]),
     obj("other", None, None, "grey", "laptop found on a bench", [("serial_number", "C02XK1ABJG5J")], at(LUX, -400), 3)),
    (obj("bicycle", "Trek", "FX 2", "red", "hybrid bike, black saddle", [("engraving_code", "LU2024AB77")], ESCH, 3, "LU-0211"),
     obj("bicycle", "Trek", None, "red", "red bike with engraving", [("engraving_code", "LU2024AB77")], at(ESCH, 500), 10, "LU-0211")),
    (obj("jewellery", None, None, "gold", "ring engraved inside", [("engraving_code", "MJ0612")]),
     obj("jewellery", None, None, None, "small gold ring", [("engraving_code", "MJ0612")], at(LUX, 50), 1)),
    (obj("tablet", "Apple", "iPad", "space grey", "blue cover", [("imei", "356938035643809")]),
     obj("other", "Apple", None, None, "tablet in a blue cover", [("imei", "356938035643809")], at(LUX, 3000), 12)),
    # no identifiers: descriptions, brand, colour, place, time
    (obj("wallet", "Fossil", None, "brown", "brown leather wallet with driving licence"),
     obj("wallet", "Fossil", None, "brown", "leather wallet, brown", place=at(LUX, 300), day=2)),
    (obj("wallet", None, None, "black", "black wallet with cards, small tear on the corner"),
     obj("wallet", None, None, "black", "black wallet with bank cards", place=at(LUX, 120, 90), day=1)),
    (obj("keys", None, None, None, "three keys on a red Mickey keyring"),
     obj("keys", None, None, "red", "bunch of keys with Mickey keyring", place=at(LUX, 600), day=3)),
    (obj("bag", "Eastpak", None, "navy blue", "backpack with school books"),
     obj("bag", "Eastpak", None, "blue", "blue backpack, books inside", place=at(LUX, -700, 200), day=2)),
    (obj("phone", "Apple", "iPhone 13", "white", "pink case with flowers"),
     obj("phone", "Apple", "iPhone 13", "white", "iphone, pink flowered case", place=at(LUX, 250), day=1)),
    (obj("bicycle", "Cube", "Kathmandu", "white", "e-bike with pannier bags", place=DUDEL, muni="LU-0205"),
     obj("bicycle", "Cube", None, "white", "white electric bike with panniers", place=at(DUDEL, 900), day=6, muni="LU-0205")),
    (obj("id_document", None, None, None, "Luxembourg identity card"),
     obj("id_document", None, None, None, "identity card, Luxembourg", place=at(LUX, 150), day=1)),
    (obj("bag", "Longchamp", "Le Pliage", "green", "tote bag with umbrella and keys"),
     obj("bag", "Longchamp", None, "green", "green tote bag, umbrella inside", place=at(LUX, 1200), day=2)),
    (obj("jewellery", None, None, "silver", "silver bracelet with charms"),
     obj("jewellery", None, None, "silver", "charm bracelet, silver", place=at(LUX, 80), day=1)),
    (obj("phone", "Google", "Pixel 7", "grey", "no case, scratched back", place=ESCH, day=2, muni="LU-0211"),
     obj("phone", "Google", None, "grey", "grey pixel phone, scratched", place=at(ESCH, 400), day=4, muni="LU-0211")),
    (obj("wallet", "Guess", None, "pink", "pink wallet with coins and loyalty cards", place=ESCH, muni="LU-0211"),
     obj("wallet", "Guess", None, "pink", "pink purse with cards", place=at(ESCH, -200), day=2, muni="LU-0211")),
    (obj("keys", "Renault", None, "black", "car key and house key"),
     obj("keys", "Renault", None, None, "renault car key with another key", place=at(LUX, 2000), day=5)),
    (obj("bicycle", "Decathlon", "Rockrider", "black", "mountain bike, orange grips"),
     obj("bicycle", "Decathlon", None, "black", "black mountain bike orange handles", place=at(LUX, 1500, 900), day=8)),
    (obj("clothing", "North Face", None, "yellow", "yellow rain jacket, size M"),
     obj("clothing", "North Face", None, "yellow", "yellow jacket", place=at(LUX, 100), day=1)),
    (obj("camera", "Canon", "EOS 250D", "black", "camera with 18-55 lens in grey bag"),
     obj("other", "Canon", None, "black", "canon camera in a grey bag", place=at(LUX, 400), day=2)),
    (obj("bag", None, None, "black", "black handbag with make-up and a scarf"),
     obj("bag", None, None, "black", "handbag, black, scarf inside", place=at(LUX, -300), day=1)),
    (obj("phone", "Xiaomi", "Redmi Note", "blue", "blue phone, photo of a dog as wallpaper", place=at(DUDEL, 400, 300), muni="LU-0205"),
     obj("phone", "Xiaomi", None, "blue", "blue xiaomi, dog on the screen", place=at(DUDEL, 100), day=2, muni="LU-0205")),
    (obj("wallet", "Tommy Hilfiger", None, "dark blue", "navy wallet, student card"),
     obj("wallet", "Tommy Hilfiger", None, "blue", "blue wallet with a student card", place=at(LUX, 900), day=3)),
    (obj("jewellery", "Pandora", None, "silver", "pandora ring"),
     obj("jewellery", "Pandora", None, "silver", "silver ring pandora", place=at(LUX, 400), day=4)),
    (obj("keys", None, None, None, "keys with a Luxembourg football club tag"),
     obj("keys", None, None, None, "keys, football club keyring", place=at(LUX, 350), day=2)),
    (obj("laptop", "Dell", "XPS 13", "silver", "laptop in a black sleeve"),
     obj("other", "Dell", None, "silver", "dell laptop, black sleeve", place=at(LUX, 700), day=1)),
    (obj("bag", "Samsonite", None, "red", "red suitcase with travel clothes"),
     obj("bag", "Samsonite", None, "red", "red samsonite suitcase", place=at(LUX, 2500), day=3)),
    (obj("bicycle", "Brompton", None, "green", "folding bike"),
     obj("bicycle", "Brompton", None, "green", "green folding bicycle", place=at(LUX, 1800), day=15)),
    (obj("wallet", None, None, "red", "small red card holder with ID", place=at(ESCH, -500), muni="LU-0211"),
     obj("wallet", None, None, "red", "red card holder", place=at(ESCH, 300), day=1, muni="LU-0211")),
    (obj("phone", "Apple", "iPhone 12", "black", "black case with card pocket"),
     obj("phone", "Apple", None, None, "iphone with card pocket case", place=at(LUX, -900), day=2)),
    (obj("id_document", None, None, None, "Belgian passport"),
     obj("id_document", None, None, None, "passport, Belgium", place=at(LUX, 600), day=5)),
]

non_pairs = [
    # same kind, same place and day, another brand
    (obj("wallet", "Fossil", None, "brown", "brown leather wallet"),
     obj("wallet", "Guess", None, "brown", "brown leather wallet", place=at(LUX, 100), day=1)),
    (obj("phone", "Samsung", None, "black", "black phone"),
     obj("phone", "Apple", None, "black", "black phone", place=at(LUX, 50), day=1)),
    # different identifiers of the same kind
    (obj("bicycle", "Gazelle", None, "blue", "city bike", [("frame_number", "GZ12345678")]),
     obj("bicycle", "Gazelle", None, "blue", "city bike", [("frame_number", "GZ87654321")], at(LUX, 200), 2)),
    (obj("phone", "Samsung", None, "black", "cracked screen", [("imei", "490154203237518")]),
     obj("phone", "Samsung", None, "black", "cracked screen", [("imei", "356938035643809")], at(LUX, 100), 1)),
    # far away
    (obj("bag", "Eastpak", None, "blue", "blue backpack"),
     obj("bag", "Eastpak", None, "blue", "blue backpack", place=ESCH, day=2, muni="LU-0211")),
    (obj("bicycle", "Cube", None, "white", "white e-bike"),
     obj("bicycle", "Cube", None, "white", "white e-bike", place=at(LUX, 9000), day=2)),
    # found before it was lost
    (obj("keys", None, None, "red", "keys with red keyring", day=10),
     obj("keys", None, None, "red", "keys with red keyring", place=at(LUX, 100), day=5)),
    (obj("wallet", None, None, "black", "black wallet", day=20),
     obj("wallet", None, None, "black", "black wallet", place=at(LUX, 100), day=3)),
    # too long after
    (obj("bicycle", "Trek", None, "red", "red hybrid bike", day=1),
     {**obj("bicycle", "Trek", None, "red", "red hybrid bike", place=at(LUX, 300)), "at": "2027-01-15T12:00:00Z"}),
    # different kind of object
    (obj("wallet", None, None, "black", "black leather wallet"),
     obj("bag", None, None, "black", "black leather bag", place=at(LUX, 100), day=1)),
    (obj("phone", None, None, "white", "white phone"),
     obj("keys", None, None, "white", "keys with white tag", place=at(LUX, 100), day=1)),
    (obj("bicycle", None, None, "black", "black bike"),
     obj("clothing", None, None, "black", "black coat", place=at(LUX, 100), day=1)),
    # same kind, nearby, but nothing else alike
    (obj("wallet", None, None, "pink", "pink purse with coins"),
     obj("wallet", None, None, "black", "black leather wallet with cards", place=at(LUX, 2000), day=9)),
    (obj("keys", None, None, None, "car key Toyota"),
     obj("keys", None, None, "blue", "three house keys on a blue ring", place=at(LUX, 2500), day=12)),
    (obj("bag", None, None, "red", "red suitcase"),
     obj("bag", None, None, "black", "black school backpack with books", place=at(LUX, 3000), day=14)),
    (obj("jewellery", None, None, "gold", "gold necklace with pendant"),
     obj("jewellery", None, None, "silver", "silver watch", place=at(LUX, 1500), day=6)),
    (obj("phone", None, None, "blue", "blue phone with cracked screen"),
     obj("phone", None, None, "gold", "gold phone in leather flip case", place=at(LUX, 3500), day=20)),
    (obj("clothing", None, None, "yellow", "yellow rain jacket"),
     obj("clothing", None, None, "grey", "grey wool scarf", place=at(LUX, 2200), day=8)),
    (obj("id_document", None, None, None, "Luxembourg identity card"),
     obj("id_document", None, None, None, "Portuguese driving licence", place=at(LUX, 4000), day=25)),
    (obj("bicycle", None, None, "green", "green folding bike"),
     obj("bicycle", None, None, "red", "red racing bike with drop bars", place=at(LUX, 4500), day=30)),
    # same brand, other model and colour
    (obj("phone", "Apple", "iPhone 13", "white", "pink case"),
     obj("phone", "Apple", "iPhone 8", "red", "red phone without case", place=at(LUX, 3000), day=18)),
    (obj("laptop", "Dell", "XPS 13", "silver", "black sleeve"),
     obj("other", "Dell", None, "black", "black monitor cable", place=at(LUX, 4000), day=40)),
    (obj("bag", "Longchamp", None, "green", "green tote bag"),
     obj("bag", "Longchamp", None, "black", "black leather handbag", place=at(LUX, 4200), day=35)),
    (obj("wallet", "Guess", None, "pink", "pink wallet"),
     obj("wallet", "Guess", None, "white", "white wallet with a photo", place=at(ESCH, 2000), day=30, muni="LU-0211")),
    (obj("bicycle", "Decathlon", None, "black", "mountain bike"),
     obj("bicycle", "Decathlon", None, "pink", "child's pink bike with stabilisers", place=at(LUX, 4000), day=28)),
    (obj("keys", "Renault", None, "black", "car key"),
     obj("keys", "Peugeot", None, "black", "car key", place=at(LUX, 300), day=2)),
    (obj("camera", "Canon", None, "black", "camera in grey bag"),
     obj("other", "Nikon", None, "black", "camera", place=at(LUX, 400), day=2)),
    (obj("jewellery", "Pandora", None, "silver", "ring"),
     obj("jewellery", "Swarovski", None, "silver", "ring", place=at(LUX, 400), day=2)),
    (obj("clothing", "North Face", None, "yellow", "rain jacket"),
     obj("clothing", "Columbia", None, "yellow", "rain jacket", place=at(LUX, 400), day=2)),
    (obj("phone", "Google", None, "grey", "scratched"),
     obj("phone", "Google", None, "grey", "scratched", place=at(DUDEL, 100), day=1, muni="LU-0205")),
    (obj("tablet", "Apple", None, "grey", "blue cover", [("imei", "356938035643809")]),
     obj("tablet", "Apple", None, "grey", "blue cover", [("imei", "490154203237518")], at(LUX, 100), 1)),
    (obj("wallet", None, None, "brown", "brown wallet", place=LUX, day=1),
     obj("wallet", None, None, "brown", "brown wallet", place=at(LUX, 0, 6000), day=2)),
]

cases = [{"label": True, "lost": l, "found": f} for l, f in pairs]
cases += [{"label": False, "lost": l, "found": f} for l, f in non_pairs]
print(json.dumps({"cases": cases}, indent=1))
