"""Spanish: the words and patterns for US programs that serve Spanish speakers.

Accents are removed before matching ("no más" is read as "no mas"); see
:mod:`core.builtin.keywords_en` for the pattern language.
"""

from __future__ import annotations

OPT_OUT = ("PARAR", "PARA", "CANCELAR", "ALTO", "BASTA", "BAJA", "NO MAS", "DETENER",
           "ELIMINAR", "YA BASTA", "DAR DE BAJA", "DARME DE BAJA", "SUSPENDER", "FIN")
HELP = ("AYUDA",)
OPT_IN = ("ALTA", "COMENZAR", "INICIAR", "SI")

FILLER = ("por", "favor", "porfavor", "porfa", "gracias", "ya", "ahora", "senor", "senora",
          "amigo", "ok", "oye", "hola", "muchas", "bueno", "todo", "todos", "ahorita",
          "inmediatamente", "mismo")

SLOTS = {
    "es_want": "quiero, deseo, necesito, me interesa, me interesan, quiero recibir, "
               "deseo recibir, quiero seguir recibiendo, me gusta, nos interesa, queremos",
    "es_messages": "mensajes, mensaje, textos, texto, sms, notificaciones, promociones, "
                   "ofertas, alertas, recordatorios, publicidad, anuncios, msj, msjs, "
                   "mensajitos, cosas, nada, mas mensajes, correos, spam",
    "es_contact": "envien, envies, envie, mandes, manden, mande, escribas, escriban, "
                  "escriba, contactes, contacten, contacte, llamen, llames, molesten, molestes, "
                  "moleste, textees, texteen, vuelvan a escribir, vuelvan a mandar, vuelvan a enviar, sigan enviando, "
                  "sigan mandando, sigan escribiendo",
    "es_quit": "deja, dejen, deje, dejar, dejes, paren, para, pare, parar, dejad, basta de, "
               "terminen de, dejen ya de, deja ya de",
    "es_verb": "enviar, enviarme, mandar, mandarme, escribir, escribirme, molestar, molestarme, "
               "contactar, contactarme, textear, textearme, llamar, llamarme, mensajear, "
               "mensajearme, enviarnos, mandarnos, escribirnos, fastidiar, fastidiarme",
    "es_stop": "parar, paren, pare, detener, detengan, deten, detenga, cancelar, cancela, "
               "cancelen, cancele, suspender, suspendan, suspende, terminar, terminen, quitar, "
               "quiten, eliminar, eliminen, borrar, borren",
    "es_det": "los, las, el, la, sus, tus, mis, estos, estas, este, esta, esos, esas, todos los, "
              "todas las, mi, su, tu, un, una, unos, unas",
    "es_nonobject": "{es_messages}, {es_list}, {es_det}, suscripcion, todo",
    "es_remove": "sacame, saquenme, saqueme, eliminame, elimineme, eliminenme, borrame, "
                 "borreme, borrenme, quitame, quiteme, quitenme, remuevanme, removerme, "
                 "excluyanme, excluirme, darme de baja, dame de baja, denme de baja, "
                 "deme de baja, den de baja, dar de baja, darnos de baja, sacarme, eliminarme, "
                 "borrarme, quitarme, desuscribirme, desuscribanme, desinscribirme, "
                 "bajenme, bajame, bajarme, bajeme",
    "es_removeverb": "eliminar, eliminen, elimine, borrar, borren, borre, quitar, quiten, "
                     "quite, sacar, saquen, saque, remover, remuevan, dar de baja, den de baja",
    "es_list": "lista, listas, sistema, base de datos, programa, suscripcion, suscripciones, "
               "club, contactos",
    "es_now": "ya, ahora, por favor, porfavor, porfa, gracias, inmediatamente, ahora mismo, "
              "ya mismo, de una vez, para siempre, ahorita, pls, please",
    "es_cita": "cita, citas, reserva, reservacion, turno, consulta, sesion, clase, visita",
}

PHRASES = (
    "no {es_want} ... {es_messages}",
    "no {es_want} mas",
    "no {es_want} nada",
    "no {es_want} recibir",
    "no {es_want} que me {es_contact}",
    "ya no {es_want}",
    "ya no me {es_contact}",
    "ya no mas",
    "no me {es_contact}",
    "no nos {es_contact}",
    "nunca me {es_contact}",
    "{es_quit} de {es_verb}",
    "{es_stop} {es_det?} {es_messages}",
    "{es_stop} {es_det?} {es_list}",
    "{es_stop} mi suscripcion",
    "de baja",
    "la baja",
    "baja {es_now}",
    "^ baja $",
    "{es_remove} de",
    "{es_remove} {es_now?} $",
    "{es_removeverb} mi numero",
    "{es_removeverb} mi telefono",
    "{es_removeverb} mis datos",
    "{es_removeverb} ... de {es_det?} {es_list}",
    "no me interesa",
    "no me interesan",
    "no estoy interesado",
    "no estoy interesada",
    "no interesado",
    "no interesada",
    "sin interes",
    "numero equivocado",
    "numero incorrecto",
    "numero errado",
    "numero erroneo",
    "equivocado de numero",
    "equivocada de numero",
    "se equivocaron de numero",
    "se equivoco de numero",
    "persona equivocada",
    "no soy esa persona",
    "salir de {es_det?} {es_list}",
    "salirme de",
    "quiero salir",
    "numero no es de",
    "no es el numero de",
    "no es mi numero",
    "ya no es mi numero",
    "no mas {es_messages}",
    "no mas {es_now}",
    "no mas $",
    "^ no mas",
    "ya basta",
    "^ basta",
    "^ alto {es_now?} $",
    "^ para {es_now?} $",
    "^ parar {es_now?} $",
    "^ paren {es_now?} $",
    "^ pare {es_now?} $",
    "^ cancelar {es_now?} $",
    "dejame en paz",
    "dejenme en paz",
    "dejeme en paz",
    "dejanos en paz",
    "no autorizo",
    "no acepto",
    "no doy permiso",
    "no di permiso",
    "no di mi permiso",
    "nunca di permiso",
    "nunca autorice",
    "revoco",
    "retiro mi consentimiento",
    "retiro mi permiso",
    "no me suscribi",
    "no me registre",
    "no me inscribi",
    "nunca me suscribi",
    "nunca me registre",
    "yo no pedi",
    "no pedi {es_det?} {es_messages}",
    "nunca pedi",
    "desuscribir",
    "desuscribirme",
    "cancelar suscripcion",
    "cancelen la suscripcion",
    "esto es spam",
    "es spam",
    "acoso",
)

HARMLESS = (
    "no mas de",
    "no mas que",
    "no mas tarde",
    "no mas temprano",
    "no mas de lo",
    "nada mas",
    "no quiero perder",
    "no quiero dejar de",
    "no {es_want} cancelar",
    "no {es_quit} de {es_verb}",
    "nunca {es_quit} de {es_verb}",
    "no {es_stop} {es_det?} {es_messages}",
    "no {es_stop} {es_det?} {es_list}",
    "no me {es_remove}",
    "cancelar|cancela|cancelo|cancelen {es_det} !{es_nonobject}",
    "baja de precio",
    "precio baja",
    "baja el precio",
    "mas alto",
    "muy alto",
    "en alto",
    "alto el",
    "hasta el fin",
    "fin de semana",
    "al fin",
    "por fin",
    "a fin de",
    "fin de mes",
)

DOUBT = (
    "por error ... {es_stop}",
    "sin querer",
    "me equivoque",
    "demasiados {es_messages}",
    "muchos {es_messages}",
    "quien es",
    "de donde sacaron mi numero",
    "como consiguieron mi numero",
    "como obtuvieron mi numero",
    "no gracias",
    "^ no quiero $",
)

JOIN = (
    "quiero suscribirme",
    "suscribirme",
    "suscribanme",
    "inscribirme",
    "quiero recibir {es_messages}",
    "quiero volver a recibir",
    "agregame",
    "agreguenme",
)

EVENTS = {
    "appointment.cancel_requested": (
        "cancelar {es_det?} {es_cita}",
        "cancela {es_det?} {es_cita}",
        "cancelen {es_det?} {es_cita}",
        "cancelo {es_det?} {es_cita}",
        "no puedo ir",
        "no voy a poder ir",
        "no podre ir",
        "no puedo asistir",
    ),
    "order.cancel_requested": (
        "cancelar ... pedido|compra|orden",
    ),
    "appointment.reschedule_requested": (
        "reprogramar",
        "reprogramen",
        "cambiar {es_det?} {es_cita}",
        "mover {es_det?} {es_cita}",
        "otro dia",
        "otra hora",
        "otro horario",
    ),
    "appointment.confirmed": (
        "confirmo",
        "confirmado",
        "alli estare",
        "ahi estare",
        "ahi nos vemos",
        "nos vemos",
    ),
}

TYPES = {
    "marketing": "promociones, ofertas, publicidad, anuncios, descuentos, cupones, promos",
    "transactional": "recordatorios, confirmaciones",
}

TOTAL = "todo, todos, todas, nada, ningun, ninguno, ninguna, cualquier"

SPELLINGS = {
    "mensajes": "mensages, msjs, mensajez, mnsjs, mensjes, menajes",
    "mensaje": "mensage, msj, mnsj",
    "por favor": "porfavor, porfa, xfa, xfavor, x favor, plis, porfis",
    "no mas": "nomas, nomás",
    "que": "q, k, qe",
    "envien": "enbien, embien, envíen",
    "manden": "mnden",
    "quiero": "kiero, qiero, quero",
    "cancelar": "canselar, cancelarr",
    "suscripcion": "subscripcion, suscricion, suscrpcion",
    "desuscribirme": "dessuscribirme, desuscribirse, desuscribir",
}

FUZZY = "suscripcion, desuscribirme"
NEAR_MISSES = "suscripciones, suscribirme, inscribirme"

TRIGGERS = "parar, cancelar, baja, detener, desuscribir, desuscribirme, paren"

SKIP = "realmente, sinceramente, simplemente, amablemente"
