"""Given names common in Italy, for telling a typo from another person.

"Mario" and "Marco" are as close as a typo, and so are "Maria" and "Mario", "Luca" and
"Lucia", "Marta" and "Martina": when both written names are real given names, a shared phone
or address is a family (father and son, brother and sister), not one person typed twice.
Names are lower case without accents, as ``normalize`` writes them. The list is deliberately
limited to names in everyday use; a name not on it is compared by spelling alone.
"""

FEMALE = """
ada adele adriana agata agnese alba alberta alessandra alessia alice alida allegra alma
amalia ambra anastasia angela angelica angelina anita anna annalisa annamaria antonella
antonia arianna asia assunta aurora barbara beatrice benedetta bianca bruna camilla carla
carlotta carmela carmen carolina caterina cecilia celeste chiara cinzia clara claudia
concetta cristina daniela debora denise diana dora edda elena eleonora elisa elisabetta
elvira emanuela emma enrica erica erika ester eva fabiana fabrizia federica fernanda
filomena fiorella flavia franca francesca gabriella gaia gemma germana giada gina ginevra
gioia giorgia giovanna gisella giulia giuliana giuseppina gloria grazia graziella greta
ida ilaria immacolata ines irene iris isabella italia jessica lara laura lavinia lea
letizia lidia liliana linda livia loredana lorena lorenza luana luciana lucia ludovica
luigia luisa maddalena manuela mara marcella margherita maria mariangela marianna
marina marisa marta martina matilde melissa michela michelle milena mirella miriam
monica nadia natalia nicoletta noemi nora norma olga ornella paola patrizia pietra
piera rachele raffaella rebecca renata rita roberta romina rosa rosalba rosanna rosaria
rossana sabrina samanta sandra sara serena silvana silvia simona sofia sonia stefania
susanna tania teresa tiziana valentina valeria vanessa vera veronica viola virginia
vittoria viviana wanda yasmin zoe
"""

MALE = """
achille adolfo adriano alberto aldo alessandro alessio alfonso alfredo amedeo andrea
angelo antonino antonio armando arturo attilio augusto aurelio bartolomeo benedetto
bernardo bruno calogero carlo carmelo cesare christian claudio corrado cristian cristiano
cristoforo damiano daniele dario davide diego domenico donato edoardo elia elio emanuele
emilio enrico enzo ernesto ettore eugenio fabio fabrizio federico felice ferdinando
fernando filippo flavio francesco franco gabriele gaetano gennaro giacomo giampaolo
giancarlo gianfranco gianluca gianluigi gianmarco gianni giorgio giovanni girolamo giulio
giuliano giuseppe graziano guido ignazio ivan jacopo lamberto leonardo leone lino lorenzo
luca luciano lucio luigi manuel marcello marco mario martino massimiliano massimo matteo
mattia maurizio mauro michele mirko nazareno nicola nicolo omar orazio oreste osvaldo
ottavio pasquale patrizio paolo piero pierluigi pietro raffaele raimondo renato renzo
riccardo rino roberto rocco rodolfo romano rosario ruggero salvatore samuele sandro
santo saverio sebastiano sergio silvano silvio simone stefano teodoro tiziano tommaso
ugo umberto valentino valerio vincenzo vinicio vito vittorio walter
"""

GIVEN_NAMES = frozenset(FEMALE.split()) | frozenset(MALE.split())


def distinct_given_names(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are two different given names, not one name spelt two ways."""
    a, b = a.replace(" ", "").replace("-", ""), b.replace(" ", "").replace("-", "")
    return a != b and a in GIVEN_NAMES and b in GIVEN_NAMES
