// Command interop follows a profitpool log with the Go reference implementation
// of its formats, golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog.
//
// It fetches the newest checkpoint (a C2SP tlog-checkpoint signed note) and
// verifies it with the published verifier key; reads every tile of the tree
// (C2SP tlog-tiles) through tlog.TileHashReader; fetches every entry bundle
// and re-hashes every entry (tlog.RecordHash); rebuilds the tree from the
// entries alone (tlog.StoredHashesForRecordHash, tlog.TreeHash) and requires
// the checkpoint's root and, in every tile, the hashes that tree gives; then
// checks inclusion proofs for several entries and a consistency proof from an
// older checkpoint, both computed by tlog from the tiles and (with -api) as
// the service serves them at /v1/proofs/…
//
// The rebuild is what authenticates every tile: the TileHashReader of x/mod
// 0.7.0 (Debian's) lets some tiles through unchecked (see run).
//
// C2SP tile paths are sumdb's without the height: tile/<L>/<N> instead of
// tile/<H>/<L>/<N>, and tile/entries/<N> instead of tile/<H>/data/<N>.
//
// Usage:
//
//	interop -url http://127.0.0.1:8000 -key 'origin+1234abcd+AQ…' [-origin ORIGIN] [-old FILE] [-api]
//
// It prints one line "OK: …" and exits 0, or prints "FAIL: …" on standard
// error and exits 1 (2 for bad usage).
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	tileHeight = 8
	tileWidth  = 1 << tileHeight
)

var client = &http.Client{Timeout: 30 * time.Second}

func main() {
	baseURL := flag.String("url", "", "base URL of the service (required)")
	vkey := flag.String("key", "", "the log's verifier key name+hash+base64 (required)")
	origin := flag.String("origin", "", "the origin the checkpoint must carry (optional)")
	oldFile := flag.String("old", "", "an older signed checkpoint to check consistency with")
	api := flag.Bool("api", false, "also check the service's own proofs at /v1/proofs/…")
	flag.Parse()
	if *baseURL == "" || *vkey == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	summary, err := run(strings.TrimSuffix(*baseURL, "/"), *vkey, *origin, *oldFile, *api)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("OK: " + summary)
}

// checkpoint is a parsed C2SP tlog-checkpoint body.
type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func run(base, vkey, wantOrigin, oldFile string, api bool) (string, error) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return "", fmt.Errorf("verifier key: %v", err)
	}
	verifiers := note.VerifierList(verifier)
	if wantOrigin == "" {
		wantOrigin = verifier.Name() // by convention the origin names the key
	}

	raw, err := fetch(base, "checkpoint")
	if err != nil {
		return "", err
	}
	head, err := openCheckpoint(raw, verifiers, wantOrigin)
	if err != nil {
		return "", fmt.Errorf("/checkpoint: %v", err)
	}
	n := head.tree.N
	if n == 0 {
		return "", errors.New("/checkpoint: the tree is empty, nothing to follow")
	}

	tiles := &tileReader{base: base}
	hashes := tlog.TileHashReader(head.tree, tiles)

	// Every tile of every level, through the reference reader: level-0 tiles
	// hold the leaf hashes, level L the hashes of complete subtrees of 256^L
	// leaves (stored hash level 8*L).
	var leafHashes []tlog.Hash
	for level := 0; n>>(tileHeight*level) > 0; level++ {
		count := n >> (tileHeight * level)
		for start := int64(0); start < count; start += tileWidth {
			end := start + tileWidth
			if end > count {
				end = count
			}
			indexes := make([]int64, 0, end-start)
			for i := start; i < end; i++ {
				indexes = append(indexes, tlog.StoredHashIndex(tileHeight*level, i))
			}
			got, err := hashes.ReadHashes(indexes)
			if err != nil {
				return "", fmt.Errorf("tiles of level %d from %d: %v", level, start, err)
			}
			if level == 0 {
				leafHashes = append(leafHashes, got...)
			}
		}
	}

	// Every entry bundle, every entry re-hashed.
	entries := make([][]byte, 0, n)
	var bundlePaths []string
	for index := int64(0); index*tileWidth < n; index++ {
		width := n - index*tileWidth
		if width > tileWidth {
			width = tileWidth
		}
		path := c2spPath(tlog.Tile{H: tileHeight, L: -1, N: index, W: int(width)})
		data, err := fetch(base, path)
		if err != nil {
			return "", err
		}
		records, err := splitBundle(data)
		if err != nil {
			return "", fmt.Errorf("/%s: %v", path, err)
		}
		if int64(len(records)) != width {
			return "", fmt.Errorf("/%s: %d entries, want %d", path, len(records), width)
		}
		entries = append(entries, records...)
		bundlePaths = append(bundlePaths, path)
	}

	// The tree the entries give, built independently of the tiles: its root
	// must be the checkpoint's, and every tile must hold its hashes. (The
	// x/mod 0.7.0 TileHashReader does not authenticate every tile it returns:
	// a full tile read after tree-hash tiles that share a tile is never checked
	// against its parent. So this check is the one that authenticates tiles.)
	stored := make(memoryHashes, 0, 2*n)
	for i, record := range entries {
		more, err := tlog.StoredHashesForRecordHash(int64(i), tlog.RecordHash(record), stored)
		if err != nil {
			return "", fmt.Errorf("hashing entry %d: %v", i, err)
		}
		stored = append(stored, more...)
	}
	if root, err := tlog.TreeHash(n, stored); err != nil || root != head.tree.Hash {
		for i, record := range entries {
			if tlog.RecordHash(record) != leafHashes[i] {
				return "", fmt.Errorf("/%s: entry %d does not hash to its leaf in the tiles, "+
					"and the entries do not give the checkpoint's root", bundlePaths[i/tileWidth], i)
			}
		}
		return "", fmt.Errorf("the entries do not give the checkpoint's root %s (%v)", head.tree.Hash, err)
	}
	for _, t := range tiles.fetched {
		data := tiles.cache[t]
		for k := 0; k < t.W; k++ {
			want := stored[tlog.StoredHashIndex(tileHeight*t.L, t.N*tileWidth+int64(k))]
			if !bytes.Equal(data[k*tlog.HashSize:(k+1)*tlog.HashSize], want[:]) {
				return "", fmt.Errorf("/%s: hash %d is not the one the entries give", c2spPath(t), k)
			}
		}
	}
	for i, record := range entries {
		if tlog.RecordHash(record) != leafHashes[i] {
			return "", fmt.Errorf("/%s: entry %d does not hash to its leaf in the tiles",
				bundlePaths[i/tileWidth], i)
		}
	}
	bundles := len(bundlePaths)

	// Inclusion proofs for a spread of entries, by tlog from the tiles and,
	// with -api, as the service serves them.
	var proved []int64
	for _, at := range []int64{0, 1, n / 3, n / 2, tileWidth - 1, tileWidth, n - 2, n - 1} {
		if at < 0 || at >= n || contains(proved, at) {
			continue
		}
		proof, err := tlog.ProveRecord(n, at, hashes)
		if err != nil {
			return "", fmt.Errorf("inclusion proof of entry %d: %v", at, err)
		}
		leaf := tlog.RecordHash(entries[at])
		if err := tlog.CheckRecord(proof, n, head.tree.Hash, at, leaf); err != nil {
			return "", fmt.Errorf("inclusion proof of entry %d: %v", at, err)
		}
		if api {
			if err := checkServedInclusion(base, head.tree, at, leaf); err != nil {
				return "", err
			}
		}
		proved = append(proved, at)
	}

	summary := fmt.Sprintf("origin %s, tree size %d, root %s, %d tiles, %d entry bundles, "+
		"%d entries, %d inclusion proofs", head.origin, n, head.tree.Hash, len(tiles.fetched),
		bundles, len(entries), len(proved))

	// Consistency with an older checkpoint.
	if oldFile != "" {
		oldRaw, err := os.ReadFile(oldFile)
		if err != nil {
			return "", fmt.Errorf("old checkpoint: %v", err)
		}
		old, err := openCheckpoint(oldRaw, verifiers, wantOrigin)
		if err != nil {
			return "", fmt.Errorf("old checkpoint %s: %v", oldFile, err)
		}
		if old.tree.N > n {
			return "", fmt.Errorf("old checkpoint of size %d is larger than the newest, %d",
				old.tree.N, n)
		}
		if old.tree.N == 0 {
			return "", errors.New("old checkpoint: the tree is empty")
		}
		proof, err := tlog.ProveTree(n, old.tree.N, hashes)
		if err != nil {
			return "", fmt.Errorf("consistency proof %d -> %d: %v", old.tree.N, n, err)
		}
		if err := tlog.CheckTree(proof, n, head.tree.Hash, old.tree.N, old.tree.Hash); err != nil {
			return "", fmt.Errorf("consistency proof %d -> %d: %v", old.tree.N, n, err)
		}
		// The old root must also be what the entries give for its size.
		if root, err := tlog.TreeHash(old.tree.N, stored); err != nil || root != old.tree.Hash {
			return "", fmt.Errorf("the entries do not give the old checkpoint's root (%v)", err)
		}
		if api {
			if err := checkServedConsistency(base, old.tree, head.tree); err != nil {
				return "", err
			}
		}
		summary += fmt.Sprintf(", consistent with size %d", old.tree.N)
	}
	if api {
		summary += ", service proofs checked"
	}
	return summary, nil
}

// openCheckpoint verifies a signed note and parses its C2SP tlog-checkpoint
// body: origin, decimal tree size, base64 root hash, then optional extension
// lines. (tlog.ParseTree reads sumdb's "go.sum database tree" form only.)
func openCheckpoint(raw []byte, verifiers note.Verifiers, wantOrigin string) (checkpoint, error) {
	signed, err := note.Open(raw, verifiers)
	if err != nil {
		return checkpoint{}, fmt.Errorf("signature: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(signed.Text, "\n"), "\n")
	if len(lines) < 3 || lines[0] == "" {
		return checkpoint{}, fmt.Errorf("malformed checkpoint %q", signed.Text)
	}
	if lines[0] != wantOrigin {
		return checkpoint{}, fmt.Errorf("origin %q, want %q", lines[0], wantOrigin)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		return checkpoint{}, fmt.Errorf("malformed tree size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return checkpoint{}, fmt.Errorf("malformed root hash %q", lines[2])
	}
	var hash tlog.Hash
	copy(hash[:], root)
	return checkpoint{origin: lines[0], tree: tlog.Tree{N: size, Hash: hash}}, nil
}

// c2spPath is the C2SP tlog-tiles path of a sumdb tile of height 8.
func c2spPath(t tlog.Tile) string {
	if t.H != tileHeight {
		panic(fmt.Sprintf("tile of height %d", t.H))
	}
	prefix := fmt.Sprintf("tile/%d/", tileHeight)
	path := t.Path()
	if !strings.HasPrefix(path, prefix) {
		panic("unexpected sumdb tile path " + path)
	}
	rest := strings.TrimPrefix(path, prefix)
	if t.L == -1 {
		rest = "entries/" + strings.TrimPrefix(rest, "data/")
	}
	return "tile/" + rest
}

// tileReader fetches C2SP tiles for tlog.TileHashReader and keeps them for run's checks.
type tileReader struct {
	base    string
	cache   map[tlog.Tile][]byte
	fetched []tlog.Tile
}

func (r *tileReader) Height() int { return tileHeight }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	if r.cache == nil {
		r.cache = make(map[tlog.Tile][]byte)
	}
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if data, ok := r.cache[t]; ok {
			out[i] = data
			continue
		}
		path := c2spPath(t)
		data, err := fetch(r.base, path)
		if err != nil {
			return nil, err
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("/%s: %d bytes, want %d", path, len(data), t.W*tlog.HashSize)
		}
		r.cache[t] = data
		r.fetched = append(r.fetched, t)
		out[i] = data
	}
	return out, nil
}

// memoryHashes is a tlog.HashReader over stored hashes held in memory, by storage index.
type memoryHashes []tlog.Hash

func (m memoryHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("stored hash %d not computed", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

// SaveTiles is called once tiles are authenticated; they are kept in memory only.
func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// splitBundle reads an entry bundle: each entry a big-endian uint16 length and its bytes.
func splitBundle(data []byte) ([][]byte, error) {
	var records [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, errors.New("truncated entry length")
		}
		size := int(binary.BigEndian.Uint16(data))
		data = data[2:]
		if len(data) < size {
			return nil, fmt.Errorf("entry %d: truncated (%d of %d bytes)", len(records), len(data), size)
		}
		records = append(records, data[:size])
		data = data[size:]
	}
	return records, nil
}

func fetch(base, path string) ([]byte, error) {
	response, err := client.Get(base + "/" + path)
	if err != nil {
		return nil, fmt.Errorf("/%s: %v", path, err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(io.LimitReader(response.Body, 1<<24))
	if err != nil {
		return nil, fmt.Errorf("/%s: %v", path, err)
	}
	if response.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/%s: HTTP %d: %s", path, response.StatusCode,
			bytes.TrimSpace(body))
	}
	return body, nil
}

func fetchJSON(base, path string, into interface{}) error {
	body, err := fetch(base, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("/%s: %v", path, err)
	}
	return nil
}

func hexHash(text string) (tlog.Hash, error) {
	var hash tlog.Hash
	raw, err := hex.DecodeString(text)
	if err != nil || len(raw) != tlog.HashSize {
		return hash, fmt.Errorf("malformed hash %q", text)
	}
	copy(hash[:], raw)
	return hash, nil
}

func hexHashes(texts []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(texts))
	for i, text := range texts {
		hash, err := hexHash(text)
		if err != nil {
			return nil, err
		}
		out[i] = hash
	}
	return out, nil
}

// checkServedInclusion checks the service's RFC 9162 inclusion proof with tlog.CheckRecord.
func checkServedInclusion(base string, tree tlog.Tree, at int64, leaf tlog.Hash) error {
	var served struct {
		Index    int64    `json:"index"`
		TreeSize int64    `json:"tree_size"`
		LeafHash string   `json:"leaf_hash"`
		Proof    []string `json:"proof"`
		Root     string   `json:"root"`
	}
	path := fmt.Sprintf("v1/proofs/inclusion?index=%d&size=%d", at, tree.N)
	if err := fetchJSON(base, path, &served); err != nil {
		return err
	}
	proof, err := hexHashes(served.Proof)
	if err != nil {
		return fmt.Errorf("/%s: %v", path, err)
	}
	if served.Index != at || served.TreeSize != tree.N {
		return fmt.Errorf("/%s: answers for entry %d of size %d", path, served.Index, served.TreeSize)
	}
	if got, err := hexHash(served.LeafHash); err != nil || got != leaf {
		return fmt.Errorf("/%s: leaf hash %s, the entry hashes to %s", path, served.LeafHash, leaf)
	}
	if got, err := hexHash(served.Root); err != nil || got != tree.Hash {
		return fmt.Errorf("/%s: root %s, the checkpoint's is %s", path, served.Root, tree.Hash)
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), tree.N, tree.Hash, at, leaf); err != nil {
		return fmt.Errorf("/%s: %v", path, err)
	}
	return nil
}

// checkServedConsistency checks the service's RFC 9162 consistency proof with tlog.CheckTree.
func checkServedConsistency(base string, old, newest tlog.Tree) error {
	var served struct {
		OldSize int64    `json:"old_size"`
		NewSize int64    `json:"new_size"`
		OldRoot string   `json:"old_root"`
		NewRoot string   `json:"new_root"`
		Proof   []string `json:"proof"`
	}
	path := fmt.Sprintf("v1/proofs/consistency?from=%d&to=%d", old.N, newest.N)
	if err := fetchJSON(base, path, &served); err != nil {
		return err
	}
	proof, err := hexHashes(served.Proof)
	if err != nil {
		return fmt.Errorf("/%s: %v", path, err)
	}
	if served.OldSize != old.N || served.NewSize != newest.N {
		return fmt.Errorf("/%s: answers for sizes %d and %d", path, served.OldSize, served.NewSize)
	}
	oldRoot, err1 := hexHash(served.OldRoot)
	newRoot, err2 := hexHash(served.NewRoot)
	if err1 != nil || err2 != nil || oldRoot != old.Hash || newRoot != newest.Hash {
		return fmt.Errorf("/%s: roots differ from the checkpoints'", path)
	}
	if err := tlog.CheckTree(tlog.TreeProof(proof), newest.N, newest.Hash, old.N, old.Hash); err != nil {
		return fmt.Errorf("/%s: %v", path, err)
	}
	return nil
}

func contains(list []int64, x int64) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}
