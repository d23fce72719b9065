"""Members' privacy: pseudonyms in the log, the links to people and their data outside it.

See docs/privacy.md. ``pseudonyms`` draws and recognises pseudonyms, ``directory``
maps the ids merchants and the operator use to pseudonyms and back (sealed with the
data key of log/datakey.py), ``profiles`` seals personal data, ``erasure`` deletes
what links a member to a person once their ``erase`` entry is stored. A member's
export is disclosure/export.py's (it needs the proofs of liabilities).
"""
