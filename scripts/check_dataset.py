#!/usr/bin/env python3
"""Check a pincer dataset with the Python stack that LeRobot uses.

Reads every episode file with pyarrow and checks frame counts, column types,
image size and the `huggingface` parquet metadata against meta/info.json;
then, when Hugging Face `datasets` is installed, loads the files with it and
checks that the image column decodes to images of the right size.

Usage: python3 scripts/check_dataset.py DATASET_DIR
Needs pyarrow (and optionally datasets + Pillow). Debian 12 has no
python3-pyarrow package; `python3 -m pip install pyarrow datasets pillow`
(from a local wheel directory with --no-index --find-links DIR if offline).
Exit 0 when every check passes, 1 on the first failure (printed on stderr).
"""
import json
import os
import struct
import sys


def fail(message):
    print(f"check_dataset: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def png_size(data):
    # IHDR is the first chunk: width and height are big-endian at bytes 16..24.
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("image bytes are not a PNG")
    return struct.unpack(">II", data[16:24])


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[4], file=sys.stderr)
        sys.exit(2)
    root = sys.argv[1]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        fail("pyarrow is not installed for this python (see the docstring)")

    info = json.load(open(os.path.join(root, "meta", "info.json")))
    episodes = [json.loads(l) for l in open(os.path.join(root, "meta", "episodes.jsonl")) if l.strip()]
    features = info["features"]
    image_keys = [k for k, f in features.items() if f["dtype"] == "image"]
    if info["codebase_version"] != "v2.1":
        fail(f"codebase_version {info['codebase_version']}")
    if len(episodes) != info["total_episodes"]:
        fail(f"episodes.jsonl has {len(episodes)} lines, info.json total_episodes {info['total_episodes']}")

    arrow_types = {"float32": pa.float32(), "int64": pa.int64(), "bool": pa.bool_()}
    image_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    frames = 0
    paths = []
    for ep in episodes:
        i = ep["episode_index"]
        rel = info["data_path"].format(episode_chunk=i // info["chunks_size"], episode_index=i)
        path = os.path.join(root, rel)
        paths.append(path)
        table = pq.read_table(path)
        if table.num_rows != ep["length"]:
            fail(f"{rel}: {table.num_rows} rows, episodes.jsonl says {ep['length']}")
        if set(table.column_names) != set(features):
            fail(f"{rel}: columns {sorted(table.column_names)} != features {sorted(features)}")
        for name, f in features.items():
            t = table.schema.field(name).type
            if f["dtype"] == "image":
                if t != image_type:
                    fail(f"{rel}: {name} is {t}, expected {image_type}")
                for cell in table.column(name).to_pylist():
                    w, h = png_size(cell["bytes"])
                    if [h, w, 3] != f["shape"]:
                        fail(f"{rel}: {name} image is {w}x{h}, info.json shape {f['shape']}")
            elif f["names"] is not None:
                if not (pa.types.is_list(t) and t.value_type == arrow_types[f["dtype"]]):
                    fail(f"{rel}: {name} is {t}, expected list<{f['dtype']}>")
                lengths = set(len(v) for v in table.column(name).to_pylist())
                if lengths != {f["shape"][0]}:
                    fail(f"{rel}: {name} rows have lengths {lengths}, expected {f['shape'][0]}")
            elif t != arrow_types[f["dtype"]]:
                fail(f"{rel}: {name} is {t}, expected {f['dtype']}")
        index = table.column("index").to_pylist()
        if index != list(range(frames, frames + table.num_rows)):
            fail(f"{rel}: global index is not {frames}..{frames + table.num_rows - 1}")
        if table.column("episode_index").to_pylist() != [i] * table.num_rows:
            fail(f"{rel}: episode_index is not {i} on every row")
        hf = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
        if set(hf) != set(features):
            fail(f"{rel}: huggingface metadata features {sorted(hf)} != {sorted(features)}")
        for k in image_keys:
            if hf[k] != {"_type": "Image"}:
                fail(f"{rel}: huggingface feature {k} is {hf[k]}, expected Image")
        frames += table.num_rows
    if frames != info["total_frames"]:
        fail(f"{frames} frames in the files, info.json total_frames {info['total_frames']}")
    print(f"pyarrow {pa.__version__}: {len(episodes)} episodes, {frames} frames, columns, dtypes, image sizes and huggingface metadata OK")

    try:
        import datasets
    except ImportError:
        print("datasets: not installed, image decoding through datasets skipped")
        return
    ds = datasets.Dataset.from_parquet(paths[:50] if paths else paths)
    for k in image_keys:
        if not isinstance(ds.features[k], datasets.Image):
            fail(f"datasets reads {k} as {ds.features[k]}, not Image")
        img = ds[0][k]
        h, w, _ = features[k]["shape"]
        if img.size != (w, h):
            fail(f"datasets decodes {k} to {img.size}, expected {(w, h)}")
    print(f"datasets {datasets.__version__}: {len(ds)} rows of the first {min(50, len(paths))} episodes; {', '.join(image_keys)} decode as {w}x{h} images")


if __name__ == "__main__":
    main()
