package bench
import ("context";"path/filepath";"slices";"testing";"time";"net/http"
"github.com/emporix-import/emporix-import/emulator")
func TestQuick(t *testing.T){
	dir:=t.TempDir(); in:=filepath.Join(dir,"c.csv")
	_,err:=WriteCSV(in, slices.Values(Generate(2000,1))); if err!=nil{t.Fatal(err)}
	in5:=filepath.Join(dir,"c5.csv")
	_,err=WriteCSV(in5, slices.Values(Generate(500,1))); if err!=nil{t.Fatal(err)}
	for _, c := range []struct{in string; lat time.Duration; erate, crate float64}{{in,20*time.Millisecond,200,200},{in5,20*time.Millisecond,100,0}} {
	ten:=NewTenant(emulator.Config{Latency:c.lat, Rate: c.erate})
	r,err:=ten.Import(context.Background(), c.in, ImportOptions{Concurrency:16, Dir:dir, Rate: c.crate})
	if err!=nil{t.Fatal(err)}
	t.Logf("wall %v req %d okrps %.1f frac %.3f conns %d server %+v client %+v", r.Wall, r.Client.Requests, r.OKRequests(), r.OKRequests()/c.erate, r.Conns, r.Server, r.Client)
	ten.Close()
	}
	_ = http.DefaultClient
}
