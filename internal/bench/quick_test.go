package bench
import ("context";"path/filepath";"slices";"testing";"time";"net/http";"fmt";"strings"
"github.com/emporix-import/emporix-import/emporix"
"github.com/emporix-import/emporix-import/importer"
"github.com/emporix-import/emporix-import/emulator")
func TestQuick(t *testing.T){
	dir:=t.TempDir()
	in5:=filepath.Join(dir,"c5.csv")
	_,err:=WriteCSV(in5, slices.Values(Generate(500,1))); if err!=nil{t.Fatal(err)}
	ten:=NewTenant(emulator.Config{Latency:20*time.Millisecond, Rate: 100})
	def:=ten.Config()
	lim:=emporix.NewAdaptiveLimiter(0)
	cl,_:=emporix.New(emporix.Config{BaseURL: ten.URL, Tenant:def.Tenant, ClientID:def.ClientID, ClientSecret:def.ClientSecret, Limiter:lim, HTTPClient:&http.Client{}})
	done:=make(chan struct{})
	var log strings.Builder
	go func(){ start:=time.Now(); var last int64; for { select{case <-done: return; case <-time.After(500*time.Millisecond):}
		s:=ten.Stats(); fmt.Fprintf(&log, "t=%.1f rate=%.1f okrps=%d 429=%d\n", time.Since(start).Seconds(), lim.Rate(), (s.Requests-s.TooMany-last)*2, s.TooMany); last=s.Requests-s.TooMany }}()
	start:=time.Now()
	_,err=importer.Import(context.Background(), importer.Config{Input:in5, Report:filepath.Join(dir,"r.csv"), JournalDir:dir, Quiet:true, Client:cl, Concurrency:16})
	close(done)
	t.Log(time.Since(start), err, "\n", log.String())
	_ = http.DefaultClient
}
