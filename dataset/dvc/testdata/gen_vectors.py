# Generates vectors.json: DVC 3 directory hashes computed the way DVC does
# (md5 of json.dumps(sorted entries, sort_keys=True) + ".dir").
# Run from this directory: /usr/bin/python3 gen_vectors.py > vectors.json
import hashlib
import json

CASES = [
    ("issue", {"foo": "foo", "bar": "bar", "nested/file": "file"}),
    ("empty file", {"e": ""}),
    ("latin", {"naïve.txt": "x", "café/menu.csv": "a,b\n1,2\n"}),
    ("cjk", {"日本/データ.csv": "id\n1\n", "中文.txt": "你好"}),
    ("astral", {"emoji/😀.bin": "smile", "𝄞music": "clef", "a😀b/c": "d"}),
    ("quotes and spaces", {'say "hi"': "q", "it's here/x y": "", "tab\u00a0nbsp": "n"}),
    ("ordering", {"a-b": "1", "a.txt": "2", "a/b": "3", "B": "4", "é": "5", "z": "6", "aa": "7", "\u00ff\u0100": "8"}),
]


def md5(b):
    return hashlib.md5(b).hexdigest()


out = []
for name, files in CASES:
    entries = [{"md5": md5(c.encode("utf-8")), "relpath": p} for p, c in files.items()]
    entries.sort(key=lambda e: e["relpath"])
    text = json.dumps(entries, sort_keys=True)
    out.append({
        "name": name,
        "files": files,
        "listing": text,
        "dir_md5": md5(text.encode("utf-8")) + ".dir",
    })
print(json.dumps(out, indent=1, ensure_ascii=False))
