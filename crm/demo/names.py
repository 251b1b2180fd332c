"""Italian names, streets and towns for the demo, with rough real-world frequencies.

Weights are relative: ``Rossi`` is far more common than ``Dell'Acqua``, as in a phone book.
"""

# fmt: off
# (name, weight). Accented and double names are there on purpose: channels mangle them.
FEMALE_NAMES = [
    ("Giulia", 9), ("Francesca", 9), ("Chiara", 8), ("Sara", 8), ("Martina", 7), ("Valentina", 7),
    ("Alessandra", 6), ("Silvia", 6), ("Elena", 6), ("Federica", 6), ("Laura", 6), ("Paola", 6),
    ("Anna", 6), ("Maria", 7), ("Giovanna", 5), ("Roberta", 5), ("Simona", 5), ("Elisa", 5),
    ("Monica", 4), ("Barbara", 4), ("Cristina", 4), ("Daniela", 4), ("Marta", 4), ("Alice", 4),
    ("Sofia", 5), ("Aurora", 3), ("Giorgia", 4), ("Beatrice", 3), ("Ilaria", 4), ("Serena", 3),
    ("Claudia", 4), ("Stefania", 4), ("Manuela", 3), ("Emanuela", 3), ("Antonella", 4),
    ("Rosa", 3), ("Teresa", 3), ("Lucia", 3), ("Caterina", 3), ("Carla", 2), ("Franca", 2),
    ("Angela", 3), ("Patrizia", 3), ("Lucrezia", 2), ("Noemi", 2), ("Greta", 2), ("Camilla", 2),
    ("Rebecca", 2), ("Arianna", 2), ("Michela", 2), ("Nicoletta", 2), ("Benedetta", 2),
    ("Ludovica", 1), ("Gaia", 2), ("Viola", 1), ("Maria Grazia", 2), ("Anna Maria", 2),
    ("Maria Teresa", 1), ("Zoè", 1),
]
MALE_NAMES = [
    ("Marco", 9), ("Luca", 9), ("Andrea", 8), ("Alessandro", 8), ("Francesco", 9), ("Matteo", 7),
    ("Lorenzo", 6), ("Davide", 6), ("Simone", 6), ("Federico", 5), ("Giuseppe", 8),
    ("Giovanni", 7), ("Antonio", 7), ("Roberto", 5), ("Stefano", 6), ("Paolo", 5), ("Mario", 5),
    ("Fabio", 4), ("Massimo", 4), ("Riccardo", 4), ("Gabriele", 4), ("Tommaso", 3),
    ("Leonardo", 4), ("Niccolò", 2), ("Nicolò", 2), ("Mattia", 3), ("Emanuele", 3),
    ("Daniele", 4), ("Claudio", 3), ("Vincenzo", 4), ("Salvatore", 4), ("Pietro", 3),
    ("Giorgio", 3), ("Franco", 2), ("Sergio", 2), ("Luigi", 3), ("Carlo", 3), ("Enrico", 2),
    ("Diego", 2), ("Filippo", 3), ("Edoardo", 2), ("Jacopo", 2), ("Michele", 3), ("Alberto", 3),
    ("Gianluca", 3), ("Gianni", 2), ("Raffaele", 2), ("Domenico", 3), ("Angelo", 2),
    ("Cristian", 2), ("Samuele", 2), ("Christian", 1), ("Ivan", 1), ("Gian Marco", 1),
    ("Pier Paolo", 1), ("Gianmarco", 1), ("Noè", 1), ("Mosè", 1),
]
NICKNAMES = {
    "Giuseppe": "Peppe", "Francesco": "Ciccio", "Alessandro": "Ale", "Alessandra": "Ale",
    "Federica": "Fede", "Federico": "Fede", "Francesca": "Fra", "Valentina": "Vale",
    "Roberto": "Roby", "Antonio": "Toni", "Salvatore": "Totò", "Elisabetta": "Betta",
    "Domenico": "Mimmo", "Gianluca": "Gianlu", "Stefania": "Stefy", "Daniele": "Dani",
}

# The very common surnames carry most of the weight; particles and apostrophes are kept.
COMMON_SURNAMES = [
    ("Rossi", 10), ("Russo", 8), ("Ferrari", 7), ("Esposito", 7), ("Bianchi", 6), ("Romano", 5),
    ("Colombo", 5), ("Ricci", 4.5), ("Marino", 4.5), ("Greco", 4), ("Bruno", 4), ("Gallo", 4),
    ("Conti", 3.5), ("De Luca", 3.5), ("Mancini", 3), ("Costa", 3), ("Giordano", 3), ("Rizzo", 3),
    ("Lombardi", 3), ("Moretti", 3), ("Barbieri", 2.5), ("Fontana", 2.5), ("Santoro", 2.5),
    ("Mariani", 2.5), ("Rinaldi", 2.5), ("Caruso", 2.5), ("Ferrara", 2.4), ("Galli", 2.4),
    ("Martini", 2.3), ("Leone", 2.3), ("Longo", 2.2), ("Gentile", 2.2), ("Martinelli", 2),
    ("Vitale", 2), ("Lombardo", 2), ("Serra", 2), ("Coppola", 2), ("De Santis", 2),
    ("D'Angelo", 2), ("Marchetti", 1.8), ("Parisi", 1.8), ("Villa", 1.8), ("Conte", 1.8),
    ("Ferraro", 1.7), ("Ferri", 1.7), ("Fabbri", 1.7), ("Bianco", 1.6), ("Marini", 1.6),
    ("Grasso", 1.6), ("Valentini", 1.5), ("Messina", 1.5), ("Sala", 1.5), ("De Angelis", 1.5),
    ("Gatti", 1.5), ("Pellegrini", 1.4), ("Palumbo", 1.4), ("Sanna", 1.4), ("Farina", 1.4),
    ("Rizzi", 1.3), ("Monti", 1.3), ("Cattaneo", 1.3), ("Morelli", 1.3), ("Amato", 1.3),
    ("Silvestri", 1.2), ("Mazza", 1.2), ("Testa", 1.2), ("Grassi", 1.2), ("Pellegrino", 1.2),
    ("Carbone", 1.1), ("Giuliani", 1.1), ("Benedetti", 1.1), ("Barone", 1.1), ("Caputo", 1),
    ("Montanari", 1), ("Guerra", 1), ("Palmieri", 1), ("Bernardi", 1), ("Fiore", 1),
    ("De Rosa", 1), ("Ferretti", 1), ("Bellini", 1), ("Basile", 1), ("Riva", 1), ("Donati", 1),
    ("Piras", 1), ("Battaglia", 0.9), ("Sartori", 0.9), ("Neri", 0.9), ("Milani", 0.9),
    ("Pagano", 0.9), ("Ruggiero", 0.9), ("Sorrentino", 0.9), ("D'Amico", 0.9), ("Orlando", 0.9),
    ("Di Stefano", 0.8), ("Di Pietro", 0.7), ("D'Alessandro", 0.7), ("La Rosa", 0.6),
    ("Lo Russo", 0.5), ("Dell'Acqua", 0.5), ("Lo Presti", 0.4), ("Dell'Orto", 0.3),
    ("Cantù", 0.3), ("Bertè", 0.2), ("Pirrò", 0.2), ("Di Giacomo", 0.5), ("Dalla Valle", 0.3),
]
# A long tail of rarer surnames, built from common stems and endings.
_STEMS = [
    "Bart", "Cas", "Fer", "Gal", "Mar", "Pel", "Ros", "Ser", "Tor", "Vil", "Bon", "Can", "Mor",
    "Pan", "Ric", "Sal", "Lan", "Car", "Gar", "Ben", "Fal", "Bar", "Cor", "Fior", "Gras", "Mon",
    "Pin", "Zan", "Bel", "Mast",
]
_ENDINGS = [
    "ini", "etti", "oni", "elli", "ucci", "ato", "ino", "esi", "ari", "otti", "ello", "one",
    "uzzi", "acci",
]
SURNAMES = COMMON_SURNAMES + [(stem + ending, 0.25) for stem in _STEMS for ending in _ENDINGS]

STREET_TYPES = [("Via", 20), ("Viale", 3), ("Corso", 3), ("Piazza", 2), ("Vicolo", 1)]
STREET_NAMES = [
    "Roma", "Garibaldi", "Mazzini", "Cavour", "Dante Alighieri", "Verdi", "Marconi",
    "Vittorio Emanuele II", "Matteotti", "XX Settembre", "IV Novembre", "della Repubblica",
    "Gramsci", "San Martino", "dei Mille", "Manzoni", "Leopardi", "Carducci", "Pascoli",
    "delle Rose", "dei Tigli", "Trieste", "Trento", "Venezia", "Milano", "Torino", "Napoli",
    "della Libertà", "Kennedy", "Europa", "Colombo", "Puccini", "Rossini", "Galilei",
    "Montegrappa", "Piave", "Isonzo", "Don Minzoni", "Aldo Moro", "della Stazione",
]

# Each store's catchment: (town, province, postcode or postcode range, landline prefix, weight).
TOWNS = {
    "Milano": [
        ("Milano", "MI", (20121, 20162), "02", 10),
        ("Sesto San Giovanni", "MI", 20099, "02", 2),
        ("Monza", "MB", 20900, "039", 2),
        ("Cinisello Balsamo", "MI", 20092, "02", 1),
        ("Rho", "MI", 20017, "02", 1),
        ("Cantù", "CO", 22063, "031", 1),
    ],
    "Roma": [
        ("Roma", "RM", (118, 199), "06", 12),
        ("Fiumicino", "RM", 54, "06", 1),
        ("Guidonia Montecelio", "RM", 12, "0774", 1),
        ("Tivoli", "RM", 19, "0774", 1),
        ("Frascati", "RM", 44, "06", 1),
    ],
    "Torino": [
        ("Torino", "TO", (10121, 10156), "011", 8),
        ("Moncalieri", "TO", 10024, "011", 1),
        ("Collegno", "TO", 10093, "011", 1),
        ("Rivoli", "TO", 10098, "011", 1),
        ("Chieri", "TO", 10023, "011", 1),
    ],
    "Napoli": [
        ("Napoli", "NA", (80121, 80147), "081", 8),
        ("Pozzuoli", "NA", 80078, "081", 2),
        ("Casoria", "NA", 80026, "081", 1),
        ("Portici", "NA", 80055, "081", 1),
        ("Torre del Greco", "NA", 80059, "081", 1),
    ],
    "Bologna": [
        ("Bologna", "BO", (40121, 40141), "051", 8),
        ("Casalecchio di Reno", "BO", 40033, "051", 1),
        ("San Lazzaro di Savena", "BO", 40068, "051", 1),
        ("Imola", "BO", 40026, "0542", 1),
    ],
    "Firenze": [
        ("Firenze", "FI", (50121, 50145), "055", 8),
        ("Scandicci", "FI", 50018, "055", 1),
        ("Sesto Fiorentino", "FI", 50019, "055", 1),
        ("Prato", "PO", 59100, "0574", 2),
    ],
    "Verona": [
        ("Verona", "VR", (37121, 37142), "045", 6),
        ("Villafranca di Verona", "VR", 37069, "045", 1),
        ("San Giovanni Lupatoto", "VR", 37057, "045", 1),
    ],
    "Bari": [
        ("Bari", "BA", (70121, 70132), "080", 6),
        ("Modugno", "BA", 70026, "080", 1),
        ("Bitonto", "BA", 70032, "080", 1),
        ("Molfetta", "BA", 70056, "080", 1),
    ],
    "Palermo": [
        ("Palermo", "PA", (90121, 90151), "091", 7),
        ("Bagheria", "PA", 90011, "091", 1),
        ("Monreale", "PA", 90046, "091", 1),
        ("Carini", "PA", 90044, "091", 1),
    ],
    "Genova": [
        ("Genova", "GE", (16121, 16167), "010", 7),
        ("Rapallo", "GE", 16035, "0185", 1),
        ("Chiavari", "GE", 16043, "0185", 1),
    ],
}

MOBILE_PREFIXES = [
    "320", "324", "328", "329", "330", "331", "333", "334", "335", "338", "339", "340", "342",
    "345", "347", "348", "349", "351", "366", "380", "388", "392", "393",
]
EMAIL_DOMAINS = [
    ("gmail.com", 35), ("libero.it", 15), ("hotmail.it", 9), ("yahoo.it", 7), ("outlook.it", 7),
    ("alice.it", 5), ("virgilio.it", 5), ("icloud.com", 5), ("tiscali.it", 3),
    ("fastwebnet.it", 3), ("live.it", 4), ("tim.it", 2),
]
# What fingers and autocorrect do to e-mail domains.
DOMAIN_TYPOS = {
    "gmail.com": "gmial.com", "libero.it": "libero.i", "hotmail.it": "hotmial.it",
    "yahoo.it": "yaho.it", "outlook.it": "outlok.it", "alice.it": "allice.it",
}

COMPANY_FORMS = ["S.r.l.", "S.n.c.", "S.a.s.", "S.r.l.s."]
COMPANY_TRADES = [
    "Bar", "Ristorante", "Trattoria", "Ferramenta", "Studio", "Impianti", "Edilizia", "Ottica",
    "Agenzia", "Boutique",
]
# fmt: on
