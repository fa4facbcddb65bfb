"""The General MIDI instruments by family, as the devices page offers them: a therapist steps
through 16 families (piano, chromatic percussion, organ...) and the 8 instruments of each,
rather than through 128 numbers. Program numbers are 0-based, as the engine takes them."""

from __future__ import annotations

GM_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("piano", ("acoustic grand piano", "bright piano", "electric grand piano", "honky-tonk piano",
               "electric piano 1", "electric piano 2", "harpsichord", "clavinet")),
    ("chromatic percussion", ("celesta", "glockenspiel", "music box", "vibraphone", "marimba",
                              "xylophone", "tubular bells", "dulcimer")),
    ("organ", ("drawbar organ", "percussive organ", "rock organ", "church organ", "reed organ",
               "accordion", "harmonica", "tango accordion")),
    ("guitar", ("nylon guitar", "steel guitar", "jazz guitar", "clean electric guitar",
                "muted electric guitar", "overdriven guitar", "distortion guitar",
                "guitar harmonics")),
    ("bass", ("acoustic bass", "fingered bass", "picked bass", "fretless bass", "slap bass 1",
              "slap bass 2", "synth bass 1", "synth bass 2")),
    ("strings", ("violin", "viola", "cello", "contrabass", "tremolo strings",
                 "pizzicato strings", "orchestral harp", "timpani")),
    ("ensemble", ("string ensemble 1", "string ensemble 2", "synth strings 1", "synth strings 2",
                  "choir aahs", "voice oohs", "synth voice", "orchestra hit")),
    ("brass", ("trumpet", "trombone", "tuba", "muted trumpet", "french horn", "brass section",
               "synth brass 1", "synth brass 2")),
    ("reed", ("soprano sax", "alto sax", "tenor sax", "baritone sax", "oboe", "english horn",
              "bassoon", "clarinet")),
    ("pipe", ("piccolo", "flute", "recorder", "pan flute", "blown bottle", "shakuhachi",
              "whistle", "ocarina")),
    ("synth lead", ("square lead", "sawtooth lead", "calliope lead", "chiff lead",
                    "charang lead", "voice lead", "fifths lead", "bass and lead")),
    ("synth pad", ("new age pad", "warm pad", "polysynth pad", "choir pad", "bowed pad",
                   "metallic pad", "halo pad", "sweep pad")),
    ("synth effects", ("rain", "soundtrack", "crystal", "atmosphere", "brightness", "goblins",
                       "echoes", "sci-fi")),
    ("ethnic", ("sitar", "banjo", "shamisen", "koto", "kalimba", "bagpipe", "fiddle",
                "shanai")),
    ("percussive", ("tinkle bell", "agogo", "steel drums", "woodblock", "taiko drum",
                    "melodic tom", "synth drum", "reverse cymbal")),
    ("sound effects", ("guitar fret noise", "breath noise", "seashore", "bird tweet",
                       "telephone ring", "helicopter", "applause", "gunshot")),
)  # fmt: skip
FAMILY_SIZE = 8


def family_of(program: int) -> int:
    """The family index (0..15) of GM ``program`` (0..127)."""
    return program // FAMILY_SIZE


def instrument_name(program: int) -> str:
    """GM ``program``'s name: 0 -> "acoustic grand piano", 12 -> "marimba"."""
    return GM_FAMILIES[family_of(program)][1][program % FAMILY_SIZE]


def family_name(program: int) -> str:
    """The name of GM ``program``'s family: 12 -> "chromatic percussion"."""
    return GM_FAMILIES[family_of(program)][0]


def step_family(program: int, by: int) -> int:
    """The first instrument of the family ``by`` families on (round the end)."""
    return (family_of(program) + by) % len(GM_FAMILIES) * FAMILY_SIZE


def step_instrument(program: int, by: int) -> int:
    """The instrument ``by`` places on within the same family (round its end)."""
    family = family_of(program) * FAMILY_SIZE
    return family + (program - family + by) % FAMILY_SIZE
