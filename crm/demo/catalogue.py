"""The demo chain: its stores and channels, the people who work there, and what it sells.

Plain data, built from a seed without a database, so channel files can be written anywhere.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from crm.demo import names
from crm.demo.choices import weighted_choice

# code, name, city, region, address, own phone (E.164), opened on
PHYSICAL_STORES = [
    (
        "mi01",
        "Bottega Milano Brera",
        "Milano",
        "Lombardia",
        "Via Brera 12",
        "+390286451230",
        "2009-03-14",
    ),
    (
        "mi02",
        "Bottega Milano Porta Romana",
        "Milano",
        "Lombardia",
        "Corso di Porta Romana 58",
        "+390258314470",
        "2014-10-02",
    ),
    (
        "rm01",
        "Bottega Roma Prati",
        "Roma",
        "Lazio",
        "Via Cola di Rienzo 120",
        "+390632650981",
        "2011-05-20",
    ),
    (
        "to01",
        "Bottega Torino Centro",
        "Torino",
        "Piemonte",
        "Via Roma 45",
        "+390115623318",
        "2012-09-08",
    ),
    (
        "na01",
        "Bottega Napoli Chiaia",
        "Napoli",
        "Campania",
        "Via Chiaia 140",
        "+390817645502",
        "2013-04-11",
    ),
    (
        "bo01",
        "Bottega Bologna",
        "Bologna",
        "Emilia-Romagna",
        "Via dell'Indipendenza 33",
        "+39051228764",
        "2010-11-27",
    ),
    (
        "fi01",
        "Bottega Firenze",
        "Firenze",
        "Toscana",
        "Via dei Calzaiuoli 18",
        "+390552398112",
        "2015-03-07",
    ),
    ("vr01", "Bottega Verona", "Verona", "Veneto", "Via Mazzini 21", "+39045803377", "2016-06-18"),
    (
        "ba01",
        "Bottega Bari",
        "Bari",
        "Puglia",
        "Via Sparano da Bari 88",
        "+390805214439",
        "2017-10-21",
    ),
    (
        "pa01",
        "Bottega Palermo",
        "Palermo",
        "Sicilia",
        "Via della Libertà 60",
        "+390916251840",
        "2018-04-14",
    ),
    (
        "ge01",
        "Bottega Genova",
        "Genova",
        "Liguria",
        "Via XX Settembre 101",
        "+390105761294",
        "2019-05-25",
    ),
]
# How many customers each city's stores draw, relative to one another.
CITY_WEIGHTS = {
    "Milano": 22,
    "Roma": 16,
    "Torino": 9,
    "Napoli": 11,
    "Bologna": 8,
    "Firenze": 8,
    "Verona": 6,
    "Bari": 7,
    "Palermo": 7,
    "Genova": 6,
}
# code, name, kind, source code whose rows name no store
CHANNEL_STORES = [
    ("web", "Bottega online", "web", "web"),
    ("app", "Bottega app", "app", "app"),
    ("cc", "Bottega contact center", "contact_center", "contact_center"),
]
CONTACT_CENTER_PHONE = "+390299887700"

# parent, subcategory, SKU prefix, consumable, items (name, base price), variants, brands
CATEGORIES = [
    (
        "Food",
        "Coffee",
        "COF",
        True,
        [
            ("Espresso in grani 1 kg", 18.9),
            ("Miscela moka 250 g", 5.4),
            ("Decaffeinato 250 g", 5.9),
            ("Capsule intenso x10", 3.9),
            ("Capsule arabica x10", 4.2),
            ("Monorigine Etiopia 250 g", 8.5),
        ],
        ["", "confezione doppia"],
        ["Torrefazione Aurelia", "Caffè Montebello", "Moka del Borgo"],
    ),
    (
        "Food",
        "Pasta",
        "PAS",
        True,
        [
            ("Spaghetti 500 g", 1.9),
            ("Paccheri di Gragnano 500 g", 2.8),
            ("Tagliatelle all'uovo 250 g", 2.6),
            ("Orecchiette 500 g", 2.2),
            ("Fusilli integrali 500 g", 2.1),
            ("Trofie liguri 500 g", 2.9),
        ],
        ["", "bio"],
        ["Pastificio Antico Molino", "Trafila d'Oro", "Campi Verdi"],
    ),
    (
        "Food",
        "Wine",
        "WIN",
        True,
        [
            ("Chianti Classico DOCG", 14.5),
            ("Barolo DOCG", 39.0),
            ("Prosecco Superiore DOCG", 11.9),
            ("Primitivo di Manduria", 13.5),
            ("Nero d'Avola", 9.9),
            ("Vermentino di Gallura", 12.5),
            ("Lambrusco di Sorbara", 7.9),
        ],
        ["0,75 l", "magnum 1,5 l"],
        ["Tenuta San Vito", "Cantina Colli Alti", "Poggio ai Lecci"],
    ),
    (
        "Food",
        "Olive oil",
        "OIL",
        True,
        [
            ("Olio extravergine 0,5 l", 9.9),
            ("Olio extravergine 1 l", 16.9),
            ("Olio al limone 0,25 l", 7.5),
        ],
        ["", "DOP"],
        ["Frantoio Ulivi d'Argento", "Oleificio del Garda", "Terre di Puglia"],
    ),
    (
        "Food",
        "Sweets",
        "SWE",
        True,
        [
            ("Panettone classico 1 kg", 19.9),
            ("Pandoro 1 kg", 16.9),
            ("Cantucci alle mandorle 250 g", 5.9),
            ("Cioccolato fondente 70% 100 g", 3.2),
            ("Baci di dama 200 g", 6.5),
            ("Torrone morbido 200 g", 7.9),
            ("Colomba pasquale 1 kg", 18.5),
        ],
        ["", "senza glutine"],
        ["Pasticceria Valfiorita", "Dolce Borgo", "Cioccolateria Aurora"],
    ),
    (
        "Food",
        "Cheese",
        "CHE",
        True,
        [
            ("Parmigiano Reggiano 24 mesi 500 g", 13.9),
            ("Pecorino romano 300 g", 8.9),
            ("Gorgonzola dolce 250 g", 4.5),
            ("Grana Padano 500 g", 9.9),
        ],
        ["", "bio"],
        ["Caseificio Valle Verde", "Latteria San Rocco"],
    ),
    (
        "Food",
        "Cured meats",
        "SAL",
        True,
        [
            ("Prosciutto crudo 24 mesi 100 g", 5.9),
            ("Salame felino 250 g", 6.9),
            ("Mortadella IGP 200 g", 4.2),
            ("Bresaola della Valtellina 100 g", 5.5),
        ],
        [""],
        ["Salumificio Colle Alto", "Norcineria Santa Lucia"],
    ),
    (
        "Fashion",
        "Jackets",
        "JAC",
        False,
        [
            ("Piumino leggero", 129.0),
            ("Giacca in pelle", 289.0),
            ("Trench", 179.0),
            ("Parka", 159.0),
            ("Blazer in lana", 199.0),
        ],
        ["nero", "blu notte", "cammello", "verde oliva"],
        ["Sartoria Lariana", "Montenevoso", "Vento di Mare"],
    ),
    (
        "Fashion",
        "Shoes",
        "SHO",
        False,
        [
            ("Sneaker in pelle", 119.0),
            ("Mocassino", 149.0),
            ("Stivaletto chelsea", 169.0),
            ("Décolleté", 139.0),
            ("Sandalo", 89.0),
        ],
        ["nero", "marrone", "bianco", "cuoio"],
        ["Calzaturificio Brenta", "Passo Leggero", "Fiorentina Scarpe"],
    ),
    (
        "Fashion",
        "Knitwear",
        "KNI",
        False,
        [
            ("Maglione girocollo in cashmere", 189.0),
            ("Cardigan in lana merino", 99.0),
            ("Dolcevita", 79.0),
            ("Maglia a coste", 59.0),
        ],
        ["grigio", "blu", "panna", "bordeaux"],
        ["Maglificio Biellese", "Lana d'Alpe"],
    ),
    (
        "Fashion",
        "Shirts",
        "SHI",
        False,
        [
            ("Camicia Oxford", 69.0),
            ("Camicia in lino", 79.0),
            ("Camicetta in seta", 119.0),
            ("Polo piquet", 49.0),
        ],
        ["bianco", "azzurro", "righe blu", "rosa"],
        ["Camiceria Napoletana", "Vento di Mare"],
    ),
    (
        "Fashion",
        "Trousers",
        "TRO",
        False,
        [("Chino in cotone", 79.0), ("Jeans slim", 89.0), ("Pantalone in lana", 119.0)],
        ["blu", "beige", "grigio", "nero"],
        ["Sartoria Lariana", "Denim Adriatico"],
    ),
    (
        "Fashion",
        "Dresses",
        "DRE",
        False,
        [("Abito in maglia", 129.0), ("Abito a fiori", 99.0), ("Tubino", 149.0)],
        ["nero", "rosso", "blu", "fantasia"],
        ["Atelier Aurora", "Filo di Seta"],
    ),
    (
        "Fashion",
        "Bags and accessories",
        "ACC",
        False,
        [
            ("Borsa a spalla in pelle", 219.0),
            ("Cintura in cuoio", 49.0),
            ("Sciarpa in cashmere", 89.0),
            ("Portafoglio", 69.0),
            ("Guanti in pelle", 59.0),
        ],
        ["nero", "cuoio", "blu", "tortora"],
        ["Pelletteria Toscana", "Filo di Seta", "Montenevoso"],
    ),
    (
        "Home",
        "Kitchen",
        "KIT",
        False,
        [
            ("Moka 6 tazze", 29.9),
            ("Pentola antiaderente 28 cm", 39.9),
            ("Set coltelli", 69.0),
            ("Tagliere in ulivo", 34.9),
            ("Caffettiera elettrica", 49.9),
        ],
        ["", "edizione limitata"],
        ["Casa Lombarda", "Cucina Viva", "Alluminio Cusiano"],
    ),
    (
        "Home",
        "Bedding",
        "BED",
        False,
        [
            ("Completo letto matrimoniale in percalle", 119.0),
            ("Piumino d'oca", 249.0),
            ("Plaid in lana", 89.0),
            ("Cuscino memory", 49.0),
        ],
        ["bianco", "grigio perla", "salvia"],
        ["Tessiture di Como", "Lino & Letto"],
    ),
    (
        "Home",
        "Table",
        "TAB",
        False,
        [
            ("Tovaglia in lino", 59.0),
            ("Set 6 bicchieri", 36.0),
            ("Servizio piatti 18 pezzi", 129.0),
            ("Tovaglioli x6", 29.0),
        ],
        ["bianco", "blu", "terracotta"],
        ["Ceramiche Vietresi", "Tessiture di Como", "Casa Lombarda"],
    ),
    (
        "Home",
        "Bath",
        "BAT",
        False,
        [("Set asciugamani", 49.0), ("Accappatoio in spugna", 69.0), ("Tappeto bagno", 29.0)],
        ["bianco", "sabbia", "blu"],
        ["Lino & Letto", "Spugna Fina"],
    ),
    (
        "Home",
        "Decor",
        "DEC",
        False,
        [
            ("Candela profumata", 24.9),
            ("Vaso in ceramica", 39.0),
            ("Cornice in argento", 45.0),
            ("Diffusore per ambienti", 32.0),
        ],
        ["", "grande"],
        ["Ceramiche Vietresi", "Officina degli Aromi"],
    ),
    (
        "Beauty",
        "Skincare",
        "SKI",
        True,
        [
            ("Crema viso idratante 50 ml", 29.0),
            ("Siero vitamina C 30 ml", 39.0),
            ("Latte detergente 200 ml", 14.9),
            ("Crema mani 75 ml", 8.9),
            ("Protezione solare SPF 50", 19.9),
        ],
        ["", "pelli sensibili"],
        ["Officina degli Aromi", "Erbe di Montagna", "Acqua di Sorgente"],
    ),
    (
        "Beauty",
        "Hair care",
        "HAI",
        True,
        [
            ("Shampoo delicato 250 ml", 9.9),
            ("Balsamo 200 ml", 10.9),
            ("Maschera capelli 200 ml", 16.9),
        ],
        ["", "capelli colorati"],
        ["Erbe di Montagna", "Acqua di Sorgente"],
    ),
    (
        "Beauty",
        "Make-up",
        "MAK",
        True,
        [
            ("Rossetto", 19.9),
            ("Mascara volume", 22.9),
            ("Fondotinta fluido", 29.9),
            ("Matita occhi", 12.9),
        ],
        ["01", "02", "03"],
        ["Colori di Venezia", "Officina degli Aromi"],
    ),
    (
        "Beauty",
        "Fragrance",
        "FRA",
        False,
        [
            ("Eau de parfum 50 ml", 79.0),
            ("Eau de toilette 100 ml", 65.0),
            ("Acqua di colonia 200 ml", 45.0),
        ],
        ["agrumi", "fiori bianchi", "legni", "fico"],
        ["Profumeria di Parma", "Officina degli Aromi"],
    ),
]
SEASONAL_ITEMS = {"Panettone", "Pandoro", "Torrone", "Colomba"}


@dataclass(frozen=True)
class StoreSpec:
    code: str
    name: str
    kind: str
    city: str = ""
    region: str = ""
    address: str = ""
    phone: str = ""
    opened_on: dt.date | None = None
    source_code: str = ""  # the channel source whose rows name no store

    @property
    def is_physical(self) -> bool:
        return self.kind == "physical"


@dataclass(frozen=True)
class AssociateSpec:
    code: str
    username: str
    first_name: str
    last_name: str
    store_code: str
    role: str
    is_demo_login: bool = False


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    name: str
    brand: str
    parent_category: str
    category: str
    price: Decimal
    is_consumable: bool

    @property
    def is_seasonal(self) -> bool:
        return any(word in self.name for word in SEASONAL_ITEMS)


@dataclass
class Catalogue:
    stores: list[StoreSpec]
    associates: list[AssociateSpec]
    products: list[ProductSpec]
    physical_stores: list[StoreSpec] = field(init=False)
    store_by_code: dict[str, StoreSpec] = field(init=False)
    associates_by_store: dict[str, list[AssociateSpec]] = field(init=False)
    products_by_category: dict[str, list[ProductSpec]] = field(init=False)
    consumables: list[ProductSpec] = field(init=False)

    def __post_init__(self) -> None:
        self.physical_stores = [store for store in self.stores if store.is_physical]
        self.store_by_code = {store.code: store for store in self.stores}
        self.associates_by_store = {store.code: [] for store in self.stores}
        for associate in self.associates:
            if associate.role != "crm_manager":
                self.associates_by_store[associate.store_code].append(associate)
        self.products_by_category = {}
        for product in self.products:
            self.products_by_category.setdefault(product.category, []).append(product)
        self.consumables = [product for product in self.products if product.is_consumable]

    @property
    def categories(self) -> list[str]:
        return list(self.products_by_category)


# The demo logins: username, role, store code, associate code.
DEMO_LOGINS = [
    ("associate", "store_associate", "mi01", "MI01-01"),
    ("agent", "contact_center_agent", "cc", "CC-01"),
    ("manager", "crm_manager", "mi01", "HQ-01"),
]
DEMO_PASSWORD = "bottega-demo"  # noqa: S105 - printed for everyone to use, on purpose.
PRODUCTS_PER_CATEGORY = 25


def build_catalogue(seed: int) -> Catalogue:
    """The chain for ``seed``: the same stores and logins always, names and products per seed."""
    rng = random.Random(f"{seed}:catalogue")
    stores = [
        StoreSpec(code, name, "physical", city, region, address, phone, dt.date.fromisoformat(day))
        for code, name, city, region, address, phone, day in PHYSICAL_STORES
    ]
    stores += [
        StoreSpec(code, name, kind, "Milano", "Lombardia", source_code=source_code)
        for code, name, kind, source_code in CHANNEL_STORES
    ]
    stores[-1] = StoreSpec(
        "cc", "Bottega contact center", "contact_center", "Milano", "Lombardia",
        "Viale Monza 265", CONTACT_CENTER_PHONE, dt.date(2016, 1, 11), "contact_center",
    )  # fmt: skip
    return Catalogue(stores, _associates(rng, stores), _products(rng))


def _associates(rng: random.Random, stores: list[StoreSpec]) -> list[AssociateSpec]:
    logins = {code: (username, role) for username, role, _, code in DEMO_LOGINS}
    associates = []
    for store in stores:
        if store.kind in ("web", "app"):
            continue
        prefix = store.code.upper()
        count = 4 if store.kind == "contact_center" else rng.randint(3, 4)
        for number in range(1, count + 1):
            code = f"{prefix}-{number:02d}"
            username, role = logins.get(code, (code.lower(), _role_for(store)))
            associates.append(_associate(rng, code, username, store.code, role, code in logins))
    code = "HQ-01"
    associates.append(_associate(rng, code, "manager", "mi01", "crm_manager", True))
    return associates


def _role_for(store: StoreSpec) -> str:
    return "contact_center_agent" if store.kind == "contact_center" else "store_associate"


def _associate(rng, code, username, store_code, role, is_login) -> AssociateSpec:
    people = names.FEMALE_NAMES if rng.random() < 0.6 else names.MALE_NAMES
    first_name = weighted_choice(rng, people)
    last_name = weighted_choice(rng, names.COMMON_SURNAMES)
    return AssociateSpec(code, username, first_name, last_name, store_code, role, is_login)


def _products(rng: random.Random) -> list[ProductSpec]:
    products = []
    for parent, category, prefix, consumable, items, variants, brands in CATEGORIES:
        options = [
            (item, price, variant, brand)
            for item, price in items
            for variant in variants
            for brand in brands
        ]
        chosen = rng.sample(options, min(PRODUCTS_PER_CATEGORY, len(options)))
        for number, (item, price, variant, brand) in enumerate(chosen, start=1):
            name = f"{item} {variant}".strip() if variant else item
            # Brands price differently; round to the shelf's .90 or .00 habit.
            factor = rng.choice([0.85, 0.95, 1.0, 1.1, 1.25])
            if variant in ("magnum 1,5 l", "confezione doppia"):
                factor *= 2
            amount = price * factor
            shelf = round(amount) - 0.1 if amount < 60 else round(amount / 5) * 5
            products.append(
                ProductSpec(
                    sku=f"{prefix}-{number:04d}",
                    name=f"{brand} · {name}",
                    brand=brand,
                    parent_category=parent,
                    category=category,
                    price=Decimal(f"{max(shelf, 0.9):.2f}"),
                    is_consumable=consumable,
                )
            )
    return products
