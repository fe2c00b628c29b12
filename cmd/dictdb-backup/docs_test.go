package main

import (
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The exit codes are documented once (exitCodes): --help, the package doc
// and README.md show that table, word for word.
func TestExitCodesDocumented(t *testing.T) {
	table := exitTable()
	assert.Contains(t, runOK(t, "--help").stdout, "\nExit codes:\n"+table+"\n")

	var doc strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(table, "\n"), "\n") {
		doc.WriteString("//\t" + strings.TrimPrefix(line, "  ") + "\n")
	}
	main, err := os.ReadFile("main.go")
	require.NoError(t, err)
	assert.Contains(t, string(main), "// # Exit codes\n//\n"+doc.String()+"//\n", "main.go's package doc")

	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), "\n```text\nExit codes:\n"+table+"```\n", "README.md")

	// Each code the CLI uses is in the table, in order.
	for i, e := range exitCodes {
		assert.Equal(t, i, e.code)
	}
	assert.Len(t, exitCodes, exitStopped+1)
}

// README.md's CLI section names every command and its flags.
func TestReadmeNamesTheCLI(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	readme := string(b)
	for _, c := range commands {
		assert.Contains(t, readme, "| `"+c.name, "the command table names %s", c.name)
		fs, _ := newFlagSet(c, &common{})
		for _, name := range []string{"chain", "seq", "time", "out", "json", "progress", "all", "yes", "keep-last"} {
			if fs.Lookup(name) != nil {
				assert.Contains(t, readme, "--"+name, "%s --%s", c.name, name)
			}
		}
	}
	for _, env := range []string{urlEnv, identityEnv, passphraseEnv} {
		assert.Contains(t, readme, "`"+env+"`")
	}
}

// version prints the module version the binary was built from, as the Go
// toolchain reads it from the binary, and the Go version.
func TestVersion(t *testing.T) {
	r := runOK(t, "version")
	assert.Empty(t, r.stderr)
	out, err := exec.Command("go", "version", "-m", binary).Output()
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^\s+mod\s+(\S+)\s+(\S+)`).FindStringSubmatch(string(out))
	require.NotNil(t, m, "go version -m:\n%s", out)
	assert.Equal(t, "dictdb-backup "+m[2]+" (module "+m[1]+", "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+")\n", r.stdout)
	assert.Equal(t, "github.com/dictdb/dictdb-go", m[1])
}
