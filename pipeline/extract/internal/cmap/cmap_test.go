package cmap

import "testing"

const toUnicode = `/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
3 beginbfchar
<0003> <0020>
<0011> <0041>
<0024> <D835DC00>
endbfchar
2 beginbfrange
<0020> <0022> <0061>
<0030> <0032> [<0066 0066> <0066 0069> <0078>]
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end`

func TestToUnicode(t *testing.T) {
	c, err := Parse([]byte(toUnicode))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Adobe-Identity-UCS" {
		t.Errorf("name %q", c.Name)
	}
	tests := []struct {
		code uint32
		want string
		ok   bool
	}{
		{0x0003, " ", true},
		{0x0011, "A", true},
		{0x0024, "\U0001D400", true},
		{0x0020, "a", true},
		{0x0022, "c", true},
		{0x0023, "", false},
		{0x0030, "ff", true},
		{0x0031, "fi", true},
		{0x0032, "x", true},
	}
	for _, tc := range tests {
		got, ok := c.Unicode(tc.code, 2)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Unicode(%#x) = %q, %v; want %q, %v", tc.code, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCodespace(t *testing.T) {
	src := `begincodespacerange
<00> <80>
<8140> <9FFC>
<A0A0A0> <A0FFFF>
<E0000000> <E0FFFFFF>
endcodespacerange
1 begincidrange
<8140> <817E> 633
endcidrange
1 begincidchar
<41> 34
endcidchar`
	c, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	in := []byte{0x41, 0x81, 0x42, 0xA0, 0xA1, 0xA2, 0xE0, 1, 2, 3, 0xFF}
	type code struct {
		v uint32
		n int
	}
	var got []code
	for len(in) > 0 {
		v, n := c.Next(in)
		got = append(got, code{v, n})
		in = in[n:]
	}
	want := []code{{0x41, 1}, {0x8142, 2}, {0xA0A1A2, 3}, {0xE0010203, 4}, {0xFF, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("code %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if cid, ok := c.CID(0x8142, 2); !ok || cid != 635 {
		t.Errorf("CID(8142) = %d, %v; want 635", cid, ok)
	}
	if cid, ok := c.CID(0x41, 1); !ok || cid != 34 {
		t.Errorf("CID(41) = %d, %v; want 34", cid, ok)
	}
}

func TestIdentityAndUseCMap(t *testing.T) {
	id := Identity(false)
	if v, n := id.Next([]byte{1, 2, 3}); v != 0x0102 || n != 2 {
		t.Errorf("Identity-H Next = %#x, %d", v, n)
	}
	if cid, ok := id.CID(0x1234, 2); !ok || cid != 0x1234 {
		t.Errorf("Identity CID = %#x", cid)
	}
	c, err := Parse([]byte("/Identity-H usecmap 1 begincidchar <0001> 7 endcidchar /WMode 1 def"))
	if err != nil {
		t.Fatal(err)
	}
	if c.UseCMap != "Identity-H" || !c.Vertical {
		t.Errorf("usecmap %q vertical %v", c.UseCMap, c.Vertical)
	}
	c.Merge(id)
	if cid, _ := c.CID(0x0001, 2); cid != 7 {
		t.Errorf("own mapping lost: %d", cid)
	}
	if v, n := c.Next([]byte{9, 9}); v != 0x0909 || n != 2 {
		t.Errorf("inherited codespace: %#x %d", v, n)
	}
}

func TestShortBfcharCodes(t *testing.T) {
	c, err := Parse([]byte("1 beginbfchar <41> <0042> endbfchar"))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := c.Unicode(0x41, 2); !ok || s != "B" {
		t.Errorf("two-byte lookup of one-byte entry = %q, %v", s, ok)
	}
}

func TestParseGarbage(t *testing.T) {
	if _, err := Parse([]byte("not a cmap at all")); err == nil {
		t.Error("no error for garbage")
	}
}

func FuzzCMap(f *testing.F) {
	f.Add([]byte(toUnicode))
	f.Add([]byte("1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfrange <00> <FF> [<41>] endbfrange"))
	f.Add([]byte("begincidrange <0000> <FFFF> 0 endcidrange"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _ := Parse(data)
		if c == nil {
			t.Fatal("nil cmap")
		}
		b := []byte{0, 1, 0x20, 0x41, 0xff, 0x80, 0x81}
		for len(b) > 0 {
			v, n := c.Next(b)
			if n <= 0 || n > len(b) {
				t.Fatalf("Next returned n=%d for %d bytes", n, len(b))
			}
			c.Unicode(v, n)
			c.CID(v, n)
			b = b[n:]
		}
	})
}
