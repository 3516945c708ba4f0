"""English: the words and patterns the keyword engine reads inbound texts with.

Patterns use the language of :mod:`core.keywords.patterns` (``{slot}``, ``...`` for a gap of up
to three words, ``!{slot}`` for one word outside a slot, ``?`` for optional, ``$`` for the end
of the clause). A revocation pattern must name what is being stopped (texts, "this", the
person), so that "stop by the store" or "the end of the month" never reads as one.
"""

from __future__ import annotations

# Whole-message keywords (CTIA: the STOP family and HELP always work).
OPT_OUT = ("STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
           "OPTOUT", "OPT OUT", "STOP IT", "STOP NOW", "ENOUGH", "REMOVE", "REMOVE ME", "CEASE AND DESIST")
HELP = ("HELP", "INFO")
OPT_IN = ("START", "YES", "UNSTOP")

# Words that may stand beside a keyword without changing it ("stop please", "STOP!! thanks").
FILLER = ("please", "now", "all", "me", "thanks", "thank", "you", "ok", "okay", "just", "asap",
          "already", "right", "immediately", "again", "lol", "sir", "man", "dude", "bro",
          "guys", "y'all", "omg", "ugh", "seriously", "god", "damn", "hey", "hi", "hello",
          "yo", "geez", "sorry", "thx", "ty", "tia", "da", "hell", "freaking", "fucking",
          "effing", "wtf", "hun", "ma'am", "oh", "forever", "permanently", "asshole", "idiots",
          "jesus", "christ", "pleaseee", "rn", "fr", "tho", "x", "xx", "excuse",
          "um", "umm", "uh", "hmm", "there", "well", "so", "anyway", "again", "folks", "team",
          "everyone", "all")

# Named word lists that patterns refer to as {name}.
SLOTS = {
    "i": "i, i'm, im, i've, ive, i'd, i'll, we, we're, i am, i have, i already, i just",
    "neg": "don't, dont, do not, never, not, didn't, didnt, did not, doesn't, doesnt, "
           "does not, no longer, dnt, don't ever, do not ever",
    # The negations that make a request ("don't text me"), not a report ("I didn't text").
    "dont": "don't, dont, do not, dnt, please don't, please do not, don't ever, do not ever, "
            "never ever, never",
    "want": "want, wanna, wish, need, like, care for, care to, desire, intend, plan, wants, "
            "wanting, wanted, needing, wishing",
    "messages": "texts, text, txts, messages, message, msgs, sms, notifications, notification, "
                "notifs, alerts, alert, updates, reminders, reminder, promos, promo, promotions, "
                "promotional texts, offers, deals, ads, advertisements, advertising, marketing, "
                "coupons, newsletters, newsletter, spam, junk, crap, stuff, garbage, nonsense, bs, "
                "text messages, sms messages, robo texts, robotexts, specials, sales texts, "
                "mass texts, group texts, messaging, shit, mierda, communication, "
                "communications, correspondence, contact, madness",
    "messaging": "texting, messaging, contacting, calling, emailing, spamming, bugging, "
                 "bothering, harassing, pestering, annoying me, hitting me up, hounding, "
                 "blowing up my phone, blowing my phone up, blowing me up, pinging, "
                 "reaching out, writing to me, sms ing, spaming",
    "contact": "text, message, contact, email, bother, spam, bug, harass, pester, ping, "
               "reach out to, hit me up, hit up, write to, sms, txt, msg",
    "me": "me, my number, my phone, my phone number, my cell, my cell phone, my cell number, "
          "my mobile, my mobile number, this number, this phone, this phone number, my line, "
          "us, this line",
    "pron": "this, these, those, them, all this, all of this, all of it, all of these, "
            "any of this, any of these, all, everything, it all, this all",
    "more": "more, any more, anymore, no more, again, ever again, further",
    "list": "list, lists, mailing list, text list, texting list, sms list, contact list, "
            "contacts, subscription, subscriptions, program, text program, sms program, club, "
            "vip list, vip club, database, system, alerts, text alerts, sms alerts, "
            "text club, loyalty texts, marketing list, subscriber list",
    "det": "the, a, an, this, that, your, ur, my, our, these, those, any, all, all the, "
           "all your, all of your, all of the, all these, his, her, their",
    "now": "now, today, immediately, asap, right now, already, forever, for good, "
           "permanently, right away, at once, please, thanks, thank you, thx, ty, ok, okay, "
           "lol, sir, man, dude, again, anymore, any more, seriously, for real, guys, y'all, "
           "you guys, ma'am, maam, bro, for now, from now on, thank u, pls, plz, altogether",
    "halt": "stop, quit, end, cease, halt, discontinue, terminate",
    # The ones that may close a sentence alone ("please stop"), unlike "end" ("when does it end").
    "stopq": "stop, quit, cease, halt, discontinue",
    "receiving": "receiving, getting, being texted, being contacted, being messaged, "
                 "hearing from you, being sent",
    "agreeing": "agree, agreed, consent, consented, authorize, authorized, sign up, signed up, "
                "subscribe, subscribed, opt in, opted in, register, registered, ask, asked",
    # For PAIRS: words that mean "make it stop", and what they may be about.
    "halting": "stop, cease, discontinue, halt, unsubscribe, optout, opt out, revoke, "
               "withdraw, no more, unenroll, unsub, stopall",
    "removing": "remove, removed, removing, delete, deleted, deleting, erase, erased, unlist, "
                "unenroll, take off, taken off",
    "notwanting": "don't want, do not want, dont want, not want, not wanting, no longer want, "
                  "don't need, do not need, no longer need, not interested, don't wish, "
                  "do not wish, no longer wish, doesn't want, does not want",
    "complaint": "sick of, tired of, fed up with, hate, annoyed by, annoyed with, had enough of, "
                 "over, done with",
    "msgtarget": "texts, messages, msgs, text messages, sms messages, notifications, alerts, "
                 "promos, promotions, marketing texts, marketing messages, these texts, "
                 "these messages, your texts, your messages, sms, txts",
    "metarget": "my number, this number, my phone number, my cell, my cell number, my phone, "
                "this phone, my mobile, your list, this list, the list, mailing list, "
                "texting list, text list, sms list, your system, your database",
    # "This isn't Jessica" may be a wrong number; "this isn't right" is not.
    "notname": "{nonobject}, right, working, correct, true, fair, funny, ok, okay, good, bad, "
               "what, fine, possible, helpful, clear, real, it, that, the, a, an, my, mine, "
               "enough, acceptable, cool, great, nice, how, why, yours, theirs, his, hers, "
               "free, available, open, closed, ready, done, here, there, today, me, us, him, "
               "her, them, legit, spam, working, fair, valid, accurate",
    "you_are": "you're, youre, you are, u r, ur, your, y'all are, yall are, they're, they are, "
               "you keep, you guys keep, you guys are, y'all keep",
    "cost": "fee, fees, charge, cost, penalty, deadline, policy, window, way, option, "
            "refund, how late, how early, when, until when, last day",
    "remove": "remove, delete, erase, drop, unenroll, unregister, unlist, purge, unsubscribe, "
              "cancel, exclude, deregister",
    "takeoff": "take, get, put, cross, scratch, strike, kick, knock, mark",
    "say": "said, say, says, saying, told you, tell you, told u, asked, asked you, ask, "
           "texted, text, replied, reply, responded, typed, type, sent, wrote, write, "
           "requested, answered, already said, keep saying, have to say, have to tell you, "
           "need to say, said it",
    "optword": "stop, unsubscribe, optout, opt out, quit, cancel, end, stopall, revoke, "
               "parar, cancelar, baja, remove",
    "optout": "opt out, optout, opt me out, opt myself out, opt us out, opt my number out, "
              "opt this number out, opted out, opting out",
    "modal": "need to, needs to, have to, has to, gotta, got to, should, must, can, will, "
             "better, ought to, is going to, are going to, gonna, had better, should just",
    "receive": "receive, get, be getting, be receiving, keep receiving, keep getting, "
               "continue receiving, continue getting, continue to receive, continue to get, "
               "hear from you, hear from, hear, see",
    "contacted": "contacted, texted, messaged, bothered, spammed, on your list, on this list, "
                 "on the list, in your system, subscribed, enrolled, signed up, part of this, "
                 "part of your, included, reached, solicited, called",
    "consented": "consent, consented, agree to this, agree to these, agree to that, agreed, "
                 "authorize, authorized, signed up, sign up for this, sign up for these, "
                 "sign up for that, opted in, opt in, subscribed, subscribe to this, "
                 "subscribe to these, give permission, gave permission, gave you permission, "
                 "give you permission, gave you my number, give you my number, sign up, "
                 "subscribe, register, registered, join, joined",
    # The negations that deny having consented: "I never signed up", "I didn't agree".
    "never": "never, didn't, did not, don't, do not, have not, haven't, never ever, dnt, "
             "never once, no longer, do not any longer, don't any longer",
    "asked": "ask for, asked for, request, requested, want, wanted, sign up for, "
             "signed up for, agree to, agreed to, subscribe to, subscribed to",
    "msgish": "{messages}, {pron}, {me}, {list}, {more}, {messaging}, it, you, sending",
    # Words after "stop the ..." that make it about the texts, not "stop the car".
    "nonobject": "{msgish}, {det}, {now}, {receiving}",
    "appt": "appointment, appointments, appt, appts, booking, bookings, reservation, "
            "reservations, res, visit, session, consultation, consult, meeting, class, "
            "lesson, cleaning, checkup, check up, exam, tour, service call, fitting, "
            "pickup, pick up, slot, spot, time slot, visit tomorrow, apt",
    "order": "order, orders, purchase, delivery, shipment, subscription box, box, item, "
             "items, package, pedido, compra, payment, card",
    "when": "when, what time, how long, until when, till when, by when, what day, "
            "which day, what date",
    "place": "by, in, at, over, off, past, into, through, to, on, around, here, there, home, "
             "inside, downstairs, upstairs, the store, the shop, and see, and get, and pick, "
             "for gas, for lunch, for coffee, for a bit, for a minute, for a sec",
    "gave": "gave, give, sent, listed, posted, dialed, called, put, wrote, typed, gives, used",
}

# A reply that uses these revokes consent (FCC 47 CFR 64.1200(a)(10): any reasonable means).
PHRASES = (
    # "stop texting me", "quit spamming", "end these messages", "stop this"
    "{halt} {messaging}",
    "{halt} ... {messages}",
    "{halt} {pron}",
    "{halt} {det?} {list}",
    "{stopq} {now}",
    "{stopq} $",
    "{halt} sending {me?} $",
    "{halt} sending {me?} ... {messages}",
    "{halt} sending {me?} {pron}",
    "{halt} sending {me?} {more}",
    "{halt} sending {me?} anything",
    "quite {messaging}",
    # "these texts need to stop", "make it stop", "I want this to end"
    "{messages} ... {modal} {halt}",
    "{pron} {modal} {halt} {now?} $",
    "make {det?} {messages} {halt}",
    "make {pron} {halt}",
    "make {det?} {messages} go away",
    "{want} {det?} {messages} to {halt}",
    "{want} {pron} to {halt}",
    "put an end to",
    "put a stop to",
    # "I said stop", "I already texted STOP twice", "how many times do I have to say stop"
    "{i} ... {say} ... {optword}",
    "{say} {optword}",
    "told you to {optword}",
    "asked you to {optword}",
    "told you guys to {optword}",
    "told you {optword}",
    "how many times ... {optword}",
    "how many times ... {optout}",
    # "I don't want these texts", "I do not wish to receive messages", "don't need reminders"
    "{neg} {want} ... {messages}",
    "{neg} {want} {pron}",
    "{neg} {want} {more}",
    "{neg} {want} ... {more}",
    "{neg} {want} to {receive} ... {messages}",
    "{neg} {want} to {receive} {pron}",
    "{neg} {want} to {receive} {more}",
    "{neg} {want} to {receive} anything",
    "{neg} {want} to be {contacted}",
    "{neg} {want} {messaging}",
    "{neg} {want} you to {contact}",
    "{neg} {want} to hear from you",
    "{neg} {want} anything from you",
    "{neg} {want} any",
    "no longer {want} to {receive}",
    "prefer|rather not ... {messages}",
    "prefer|rather not {receive}",
    "prefer|rather not to {receive}",
    "prefer|rather not be {contacted}",
    "prefer|rather not to be {contacted}",
    "{halt} {receiving}",
    "{i} ... {want} to {halt}",
    "{messages} to {halt}",
    "{want} it to {halt}",
    "can|could|would|will you not {contact}",
    "please not {contact}",
    "if you {dont} stop",
    "do not disturb",
    "report {det?} {me}",
    "reported {det?} {me}",
    "reported you",
    "reported ... spam",
    "{i} blocked",
    "^ blocked $",
    "blocked you",
    "blocked {det?} {me}",
    "no longer interested",
    # "don't text me", "never contact me again", "do not send me anything"
    "{dont} {contact} {me}",
    "{dont} {contact} {more}",
    "{dont} {contact} $",
    "{dont} send {me?} ... {messages}",
    "{dont} send {me?} {pron}",
    "{dont} send {me?} {more}",
    "{dont} send {me?} anything",
    "{dont} send anything",
    "{dont} {contact} this number",
    "{dont} {contact} it|her|him|them|this|that",
    "part of {optword}",
    "{optword} means {optword}",
    "{neg} have ... permission",
    "no permission",
    "^ no !{nonobject} {messages} {now?} $",
    "^ no {messages} {messages} {now?} $",
    "{you_are} {messaging}",
    "report|reporting|reported ... ... spam",
    "not my number",
    "no longer my number",
    "isn't my number",
    "is not my number",
    "isn't my phone",
    "rather you not|didn't|wouldn't|stopped|quit",
    "rather you did not|would not",
    "let {det?} {messages} {halt}",
    "let {pron} {halt}",
    "consent ... withdraw|revoke|removed|cancelled|canceled|terminated|denied",
    "{removing} my info|information|data|details|contact|records",
    "blocked and|& reported",
    "reported and|& blocked",
    "sick|tired of ... {messages}",
    "sick|tired of {pron}",
    "sick|tired of you",
    "fed up with",
    "hate {det?} {messages}",
    "hate {det?} !{nonobject} {messages}",
    "hate getting|receiving",
    "not my phone",
    "this number belongs to",
    "belongs to someone else",
    "passed away",
    "deceased",
    "if you stopped|quit|ceased",
    "stopped {messaging} me",
    "had enough",
    "take the|a hint",
    "{halt} that $",
    "nothing to do with",
    "forget me",
    "no means no",
    "want nothing",
    # "no more texts", "no more!"
    "no more {messages}",
    "no more {pron}",
    "no more of",
    "no more {now}",
    "no more $",
    "^ no {messages} {now?} $",
    # "remove me", "take my number off", "I want off this list", "unsubscribe"
    "{remove} {me}",
    "{takeoff} {me} off",
    "{takeoff} {me} out of {det?} {list}",
    "out of {det?} {list}",
    "get|sign|opt|count|let {me} out",
    "off {det?} {list}",
    "{remove} ... from {det?} {list}",
    "{remove} ... off {det?} {list}",
    "unsubscribe",
    "unsub",
    "{optout}",
    "revoke",
    "rescind",
    "withdraw ... consent",
    "withdraw ... permission",
    "retract ... consent",
    "cancel {det?} {messages}",
    "cancel {det?} !{nonobject} {messages}",
    "cancel {det?} {list}",
    "cancel {me}",
    "cancel everything",
    # "I never signed up", "I do not consent", "I didn't ask for these texts"
    "{never} ... {consented}",
    "{never} {asked} {det?} {messages}",
    "{never} {asked} {pron}",
    "{never} {asked} {det?} {list}",
    "without my consent",
    "without my permission",
    "not interested",
    "no interest",
    "uninterested",
    "lost interest",
    "wrong number",
    "wrong person",
    "wrong phone",
    "wrong guy",
    "wrong girl",
    "wrong lady",
    "wrong contact",
    "wrong cell",
    "you have the wrong",
    "you got the wrong",
    "no one by that name",
    "nobody by that name",
    "no one here by that name",
    "not the person you",
    "leave me alone",
    "leave us alone",
    "leave me be",
    "go away",
    "lose my number",
    "lose this number",
    "forget my number",
    "delete my contact",
    "delete my info",
    "fuck off",
    "f off",
    "piss off",
    "screw off",
    "buzz off",
    "bugger off",
    "back off",
    "get lost",
    "stfu",
    "gtfo",
    "{i} {want} out",
    "{i} out $",
    "{i} quit $",
    "^ i quit $",
    "i'm out $",
    "i'm outta here",
    "count me out",
    "sign me out",
    "let me out",
    "done with {det?} {messages}",
    "done with {pron} $",
    "done with you",
    "done with your",
    "done getting",
    "done receiving",
    "^ enough {now?} $",
    "enough {messages}",
    "enough already",
    "enough is enough",
    "enough of {pron}",
    "enough of {det?} {messages}",
    "block|blocking {det?} {me}",
    "block|blocking you|this|y'all|u",
    "block|blocking your number",
    "^ reported $",
    "block this",
    "report ... spam",
    "reporting ... spam",
    "reporting you",
    "report you",
    "{pron} is spam",
    "this is spam",
    "^ spam $",
    "spam spam",
    "spammer",
    "spammers",
    "harassment",
    "tcpa",
    "do not call",
    "do not text list",
    "dnc",
    "sue you",
    "why ... keep {messaging}",
    "keeps {messaging}",
    "stop {messaging}",
    "quit {messaging}",
    "{halt} it",
    "unfollow",
    "cease and desist",
    "^ {stopq} {i}",
    "^ {stopq} who|what|why|omg|wtf|seriously|dude|bro|man|ugh|lol|haha|you|u|already|"
    "idiot|idiots|right|dammit|damn|jeez|geez|asshole",
    "enough with {det?} {messages}",
    "enough with {pron}",
    "removed from {det?} {list}",
    "be removed",
    "{halt} {det?} !{nonobject} {messages}",
    "{never} ... {agreeing} to {receive}",
    "{never} ... {agreeing} to {det?} {messages}",
    "{never} ... {agreeing} to {pron}",
    "{never} ... {agreeing} to be {contacted}",
    "{me} removed",
    "{me} deleted",
    "{me} taken off",
    "{halt} {det?} !{nonobject} !{nonobject} {messages}",
    "no further {messages}",
    "no more contact",
    "unwanted {messages}",
    "unsolicited",
)

# A revocation word and what it is about, in either order anywhere in one clause: "I'd like
# my number removed", "I replied STOP and I'm still getting texts". Written "{a} & {b}".
PAIRS = (
    "{halting} & {msgtarget}",
    "{removing} & {metarget}",
    "{notwanting} & {msgtarget}",
    "{complaint} & {msgtarget}",
)

# Readings in which a trigger word is ordinary conversation, not a revocation. When one
# overlaps a revocation match at least as heavy, the ordinary reading wins.
HARMLESS = (
    "{halt} {place}",
    "{halt} {ing}",
    "{halt} {det} !{nonobject}",
    "{halt} and think|smell|shop|see|look|chat|talk|say|grab|get|pick|visit|browse",
    "{halt} up",
    "end of",
    "end to end",
    "end date",
    "end time",
    "end result",
    "end user",
    "end goal",
    "end game",
    "the end",
    "an end",
    "at the end",
    "in the end",
    "by the end",
    "dead end",
    "high end",
    "low end",
    "front end",
    "back end",
    "year end",
    "month end",
    "week end",
    "tail end",
    "odds and ends",
    "the|a|an|next|last|first|bus|pit|rest|truck|one|non|full|final|every|each|second|third|"
    "your|my|our|his|her|which|what|that|whose|no|subway|train|metro|tram|shuttle stop|stops",
    "stop sign|signs|light|lights|loss|watch|motion|gap|payment|button|bath|shop|date|time|"
    "point|words|word|sequence|request|order|bit|limit",
    "stop and shop",
    "{when} ...!{msgish} {halt}",
    "{neg} {want} to {halt}",
    "{neg} {want} to {optword}",
    "{neg} {want} to miss|lose|skip|forget|stop|end|cancel",
    "{neg} {want} to {optout}",
    "{neg} {want} you to {halt}",
    "{neg} {want} to {halt} {receiving}",
    "not interested in {det?} !{nonobject}",
    "where ... {halt} $",
    "{cost} to cancel",
    "{cost} for cancel",
    "{cost} ... cancel",
    "cancel without",
    "free to cancel",
    "if i cancel",
    "do i have to cancel",
    "cancel to change|reschedule|move|rebook|get|switch|book",
    "what happens if",
    "cancel|cancelling {det} !{nonobject}",
    "cancel my other|own|plans|day|trip|meeting|flight|card",
    "{neg} {want} you to {optword}",
    "drop me|us a|an|off|at|by|line|note|text",
    "keep them coming",
    "keep it up",
    "keep the {messages} coming",
    "quit my|his|her|their|your|smoking|drinking|vaping|sugar|soda|coffee|work|school|job|"
    "the gym|playing|being|caffeine|alcohol|meat|cigarettes",
    "no more than",
    "no more then",
    "no more left",
    "no more in stock",
    "no more available",
    "no more room",
    "no more spots",
    "no more slots",
    "no more appointments",
    "no more openings",
    "no more sizes",
    "{gave} {me?} {det?} wrong number",
    "{gave} you {det?} wrong number",
    "wrong number for",
    "wrong number on",
    "wrong number listed",
    "wrong size",
    "wrong item",
    "wrong order",
    "wrong address",
    "wrong time",
    "wrong date",
    "cancel my|the|our|that|this card",
    "end it on|at|with|by|in",
    "can't|cant|cannot|couldn't|couldnt wait for {det?} ... to end",
    "end today|tonight|tomorrow|soon|early|late|sooner|later|earlier|monday|tuesday|"
    "wednesday|thursday|friday|saturday|sunday|{num}",
    "{dont} give up",
    "not stop|stopping",
    "non stop",
    "nonstop",
    "one stop",
    "stop over",
    "layover",
    "full stop",
    "stop by",
    "stopped by",
    "on the way",
    "{messages} stopped",
    "{messages} ended",
    "did {det?} {messages} stop",
    "why did {det?} {messages} stop",
    "why did you stop",
    "why did they stop",
    "why did it stop",
    "why did it end",
    "why did {pron} stop",
    "{pron} stopped",
    "not getting {det?} {messages}",
    "stopped getting",
    "stopped receiving",
    "haven't gotten",
    "didn't get",
    "didn't receive",
    "never got",
    "never received",
    "not receiving",
    "stop|end working",
    "till the end",
    "til the end",
    "until the end",
    "to the end",
    "no end",
    "ends",
)

# Texts a person should look at: they may mean "stop", or not.
DOUBT = (
    "accidentally ... {optword}",
    "accidentally {optword}",
    "accidently ... {optword}",
    "by mistake ... {optword}",
    "{optword} ... by mistake",
    "{optword} ... by accident",
    "mistakenly ... {optword}",
    "didn't mean to ... {optword}",
    "did not mean to ... {optword}",
    "didnt mean to ... {optword}",
    "meant to ... {optword}",
    "didn't mean to {optout}",
    "accidentally {optout}",
    "{i} done $",
    "i'm done $",
    "i'm so done",
    "how ... {gave} my number",
    "where ... {gave} my number",
    "who ... {gave} my number",
    "who gave you",
    "how did you get",
    "how'd you get",
    "how'd you find",
    "how did you find",
    "like spam",
    "feels like spam",
    "looks like spam",
    "where did you get",
    "is {pron} spam",
    "is {pron} ... spam",
    "or spam",
    "spam or",
    "legit",
    "did i ... {optword}",
    "^ this isn't !{notname} $",
    "^ this is not !{notname} $",
    "did i {optout}",
    "did my {optword} go through|work",
    "my {optword} didn't|didnt|did not work",
    "am i unsubscribed",
    "am i still subscribed",
    "less often",
    "{contact} me less",
    "less {now?} $",
    "less frequently",
    "not as often",
    "not so often",
    "once a week|month",
    "fewer",
    "^ annoying $",
    "{messages} are|r|is annoying",
    "so annoying",
    "{messages} are|r too much",
    "is this a scam",
    "scam",
    "too many {messages}",
    "so many {messages}",
    "way too many",
    "too often",
    "less {messages}",
    "fewer {messages}",
    "not so many",
    "why are|is you|u|they|y'all ... {messaging}",
    "why do i keep getting",
    "why am i getting",
    "^ no thanks $",
    "^ no thank you $",
    "^ no thx $",
    "^ nah thanks $",
    "^ no ty $",
    "pause",
    "take a break",
    "hold off",
    "snooze",
    "cancel {det?} it|that",
    "{want} to cancel $",
    "{i} {want} to cancel $",
    "have to cancel $",
    "gotta cancel $",
    "can i cancel $",
    "can you cancel $",
    "cancel {det?} membership|account|plan|service|profile|trial",
    "cancel {det?} it|that $",
    "{neg} {want} it",
    "{neg} {want} that",
    "{neg} {want} $",
    "who is this and why",
)

# Opt-in in a sentence: a person asking to (re)join by text, the proof the rules prefer.
JOIN = (
    "sign me up",
    "sign me back up",
    "subscribe me",
    "resubscribe",
    "re subscribe",
    "opt me in",
    "opt me back in",
    "opt back in",
    "opt in",
    "optin",
    "{i} {want} to join",
    "{i} {want} to subscribe",
    "{i} {want} to sign up",
    "{i} {want} to get {det?} {messages}",
    "{i} {want} to receive {det?} {messages}",
    "{i} {want} {det?} {messages} again",
    "add me back",
    "add me to {det?} {list}",
    "put me back on",
    "start {messaging} me again",
    "start sending ... again",
    "start getting|receiving ... {messages}",
    "{want} to start getting|receiving",
    "{messages} again please",
    "resume {det?} {messages}",
    "count me in",
)

# Replies that are an event for a flow (the appointment or order), not about consent.
EVENTS = {
    "appointment.cancel_requested": (
        "cancel {det?} ... {appt}",
        "cancel for today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|"
        "sunday",
        "cancel today|tomorrow|tonight",
        "cancel {det?} {num}",
        "can't|cant|cannot|won't|wont make {det?} {appt}",
        "can't|cant|cannot|won't|wont make it",
        "not going to make it",
        "not gonna make it",
        "won't be able to make",
        "will not be able to make",
    ),
    "appointment.reschedule_requested": (
        "reschedule",
        "re schedule",
        "move {det?} {appt}",
        "change {det?} {appt}",
        "push {det?} {appt}",
        "postpone",
        "another time",
        "different time",
        "different day",
        "another day",
        "later time",
        "earlier time",
        "can we move",
        "can i move",
    ),
    "appointment.confirmed": (
        "^ c $",
        "^ confirm $",
        "^ confirmed $",
        "i confirm",
        "confirming",
        "i'll be there",
        "ill be there",
        "will be there",
        "see you then",
        "see you tomorrow",
        "see you soon",
    ),
    "order.cancel_requested": (
        "cancel {det?} ... {order}",
    ),
}

# Words that name a kind of message: a revocation naming only these stops only that type.
TYPES = {
    "marketing": "promos, promo, promotions, promotion, promotional texts, promotional, offers, "
                 "deals, sales, sales texts, coupons, coupon, discounts, ads, advertisements, "
                 "advertising, marketing, newsletters, newsletter, specials, marketing texts",
    "transactional": "reminders, reminder, appointment reminders, order updates, "
                     "shipping updates, delivery updates, confirmations, receipts",
}

# Words that make a revocation total even when it names a type ("no more promos or anything").
TOTAL = "all, any, everything, anything, every, at all, else, entirely, completely, altogether"

# Misspellings and run-together words, by the word they stand for.
SPELLINGS = {
    "nonstop": "non stop",
    "withdraw": "withdrawing, withdrew, withdrawn",
    "stop": "stp, sotp, stpo, stopp, sstop, st0p, stahp, stawp, stoop, stoip, stpp",
    "stop texting": "stoptexting, stoptext, stoptxt, stoptxting",
    "stop sending": "stopsending",
    "stop messaging": "stopmessaging",
    "stop it": "stopit",
    "stop please": "stopplease, stoppls, stopplz",
    "unsubscribe": "unsubscibe, unsubcribe, unsuscribe, unsubsribe, unsubscrib, unsubscrbe, "
                   "usubscribe, unscubscribe, unsubscribed, unsubscribing, unsubscrive, "
                   "unsusbcribe, unsubscriibe, unsubscriebe, unsubsrcibe, unsuscribe, "
                   "unsubscride, unsubsctibe, unsubscribes, unsubed, unsubbed, unsubscirbe, "
                   "un subscribe, unsub scribe",
    "unsubscribe me": "unsubscribeme",
    "unsub": "unsubb",
    "optout": "opt-out, optedout, optingout, optout",
    "cancel": "cancle, cancell, cancal, cansel, cnacel, cancl, cacel, canel, cancelling, "
              "canceling, cancling",
    "quit": "qiut, quitt",
    "revoke": "revoked, revoking, revokes, revok",
    "remove": "remov, remvoe, rmv, removee",
    "remove me": "removeme",
    "texting": "txting, texing, textin, txtn, textng, texitng, txtng, texting",
    "texts": "txts, textz, texs, txtz, textes, textss",
    "text": "txt, tx, tex",
    "messages": "msgs, mssgs, mesages, messeges, messags, msges, messanges, messges, "
                "mesages, messgaes, messsages",
    "message": "msg, mesage, messege, mssg, massege, meesage",
    "messaging": "msging, messageing, mesaging, msgn",
    "please": "pls, plz, pleas, pleae, plase, plese, plx, pleez, pleeze, plzz, plss",
    "number": "numbr, numer, nmbr",
    "don't": "dont, don;t, do'nt, dnt, dont't, donot",
    "won't": "wont",
    "can't": "cant",
    "didn't": "didnt",
    "doesn't": "doesnt",
    "i'm": "im, iam",
    "anymore": "anymor, anymre, any more",
    "no more": "nomore, nomo",
    "leave me alone": "leavemealone",
    "harassing": "harrassing, harasing, harrasing",
    "harassment": "harrassment, harasment, harrasment",
    "interested": "intrested, interessted, intersted, interestd",
    "subscription": "subscriptions, subcription, subsciption",
    "notifications": "notifs, notificatons, notications",
    "you": "u, yu, yoo",
    "your": "ur, yor, youre",
    "them": "em, thm",
    "people": "ppl",
    "because": "cuz, bc, coz",
    "enough": "enuf, enogh, enought",
    "spam": "spamm, spaam",
    "spamming": "spaming, spammin",
}

# Long words the speller may correct when one or two letters are off, and the real words
# near them that it must leave alone.
FUZZY = ("unsubscribe, notifications, subscription, harassment, harassing, interested, "
         "messages")
NEAR_MISSES = ("subscribe, subscribed, subscriber, subscribers, subscribes, subscribing, "
               "massages, massage, passages, messaged, messager, interests, interesting, "
               "harassed, resubscribe, notification, subscriptions")

# Words that, left over after every pattern, make a text doubtful: a person looks at it.
# "end" and "quit" are not here: outside a revocation pattern they are everyday words.
TRIGGERS = ("stop, cancel, unsubscribe, optout, opt out, revoke, stopall, unsub, spam, "
            "harassment, harassing, unsolicited, consent, permission, blocked, reported, "
            "erase, withdraw, sick of, tired of")

# Words dropped before the patterns read a text ("I really don't want" is "I don't want").
SKIP = ("really, actually, honestly, literally, totally, truly, absolutely, definitely, "
        "simply, kindly, basically, frankly, genuinely, sincerely, certainly, even, "
        "respectfully, politely, officially, hereby, formally")
