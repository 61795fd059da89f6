package story

import "testing"

// FuzzSignatureBlob feeds arbitrary bytes where a stored signature is
// expected (a corrupt or foreign blob from the store): nothing may panic,
// and a blob that is not a valid signature is similar to nothing.
func FuzzSignatureBlob(f *testing.F) {
	f.Add([]byte(Sign("Talks open in Geneva", words(0, 50))))
	f.Add([]byte{version})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, blob []byte) {
		sig := Signature(blob)
		bands := Bands(sig)
		if !valid(sig) && (bands != nil || Similar(sig, sig)) {
			t.Fatalf("invalid blob of %d bytes has bands or is similar", len(blob))
		}
		Estimate(sig, Sign("a b c d e", ""))
	})
}

// FuzzSign checks that any text signs without panicking and that a valid
// signature is similar to itself.
func FuzzSign(f *testing.F) {
	f.Add("Kremlin", "Moscow - the Kremlin said on Tuesday.")
	f.Add("", "\xff\xfe Донецк 1,000")
	f.Fuzz(func(t *testing.T, title, text string) {
		sig := Sign(title, text)
		if sig != nil && (!Similar(sig, sig) || len(Bands(sig)) != numBands) {
			t.Fatalf("signature of %q/%q is not self-similar or lacks bands", title, text)
		}
	})
}
