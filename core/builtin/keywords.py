"""The default keywords and revocation phrases (FCC TCPA revocation rule, 2025-04-11)."""

from hooks import KeywordSpec, hookimpl

OPT_OUT = {
    "en": ("STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
           "OPTOUT", "OPT OUT"),
    "es": ("PARAR", "CANCELAR", "ALTO", "BASTA", "BAJA", "NO MAS"),
}
HELP = ("HELP", "INFO")
OPT_IN = ("START", "YES", "UNSTOP")
FILLER = ("please", "pls", "plz", "now", "all", "it", "this", "me", "thanks", "thank", "you",
          "ok", "okay", "just", "asap", "por", "favor", "ya")
PHRASES = {
    "en": (
        "stop texting", "stop text", "stop messaging", "stop sending", "stop contacting",
        "stop calling", "stop these", "stop the texts", "stop the messages", "please stop",
        "stop please", "unsubscribe", "unsubscribe me", "remove me", "remove my number",
        "take me off", "take my number off", "opt me out", "don't text", "dont text",
        "do not text", "don't message", "do not message", "don't contact", "do not contact",
        "no more texts", "no more messages", "no more text", "not interested",
        "wrong number", "wrong person", "leave me alone", "i didn't sign up",
        "i did not sign up", "never signed up", "cancel my subscription", "cancel texts",
        "end texts", "quit texting", "quit sending", "lose my number", "delete my number",
    ),
    "es": (
        "no mas", "no mas mensajes", "darme de baja",
        "dar de baja", "no me envies", "no me envien", "no me escribas", "deja de",
        "dejen de", "eliminar mi numero", "numero equivocado", "no quiero mensajes",
    ),
}


@hookimpl(trylast=True)
def register_keywords():
    specs = [KeywordSpec("opt_out", word, language)
             for language, words in OPT_OUT.items() for word in words]
    specs += [KeywordSpec("help", word) for word in HELP]
    specs += [KeywordSpec("opt_in", word) for word in OPT_IN]
    specs += [KeywordSpec("filler", word) for word in FILLER]
    specs += [KeywordSpec("phrase", phrase, language)
              for language, phrases in PHRASES.items() for phrase in phrases]
    return specs
