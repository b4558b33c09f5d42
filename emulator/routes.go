package emulator

import (
	"net/http"
	"slices"
	"strings"
)

// Scope names of the Customer Service (the OAuth2 scheme of the contract).
const (
	ScopeCustomerRead      = "customer.customer_read"
	ScopeCustomerReadOwn   = "customer.customer_read_own"
	ScopeCustomerManage    = "customer.customer_manage"
	ScopeCustomerManageOwn = "customer.customer_manage_own"
	ScopeImportRead        = "customer.import_read"
	ScopeImportManage      = "customer.import_manage"
)

// Scope sets as the contract lists them per operation: any one of them will do.
var (
	scopesRead         = []string{ScopeCustomerRead, ScopeCustomerReadOwn}
	scopesManage       = []string{ScopeCustomerManage, ScopeCustomerManageOwn}
	scopesAddressRead  = []string{ScopeCustomerRead}   // the address operations list no *_own scope
	scopesAddrManage   = []string{ScopeCustomerManage} // (the tag POST lists none: the tag DELETE's is used)
	scopesImportRead   = []string{ScopeImportRead}
	scopesImportManage = []string{ScopeImportManage}
)

// route is one operation of the emulated Customer Service: a method, a path
// below /customer/{tenant} in ServeMux syntax, the scopes the contract lists
// for it, and the handler. A new endpoint is one more entry.
type route struct {
	method, path string
	scopes       []string
	handle       func(s *Server, w http.ResponseWriter, r *http.Request)
}

var routes = []route{
	{http.MethodGet, "/customers", scopesRead, (*Server).listCustomers},
	{http.MethodPost, "/customers", scopesManage, (*Server).createCustomer},
	{http.MethodPost, "/customers/search", scopesRead, (*Server).searchCustomers},
	{http.MethodGet, "/customers/{customerNumber}", scopesRead, (*Server).getCustomer},
	{http.MethodPut, "/customers/{customerNumber}", scopesManage, (*Server).putCustomer},
	{http.MethodPatch, "/customers/{customerNumber}", scopesManage, (*Server).patchCustomer},
	{http.MethodDelete, "/customers/{customerNumber}", scopesManage, (*Server).deleteCustomer},
	{http.MethodGet, "/customers/{customerNumber}/addresses", scopesAddressRead, (*Server).listAddresses},
	{http.MethodPost, "/customers/{customerNumber}/addresses", scopesAddrManage, (*Server).postAddress},
	{http.MethodGet, "/customers/{customerNumber}/addresses/{addressId}", scopesAddressRead, (*Server).getAddress},
	{http.MethodPut, "/customers/{customerNumber}/addresses/{addressId}", scopesAddrManage, (*Server).putAddress},
	{http.MethodPatch, "/customers/{customerNumber}/addresses/{addressId}", scopesAddrManage, (*Server).patchAddress},
	{http.MethodDelete, "/customers/{customerNumber}/addresses/{addressId}", scopesAddrManage, (*Server).deleteAddress},
	{http.MethodPost, "/customers/{customerNumber}/addresses/{addressId}/tags", scopesAddrManage, (*Server).postTags},
	{http.MethodDelete, "/customers/{customerNumber}/addresses/{addressId}/tags", scopesAddrManage, (*Server).deleteTags},
	{http.MethodPost, "/customers/import", scopesImportManage, (*Server).importCustomers},
	{http.MethodGet, "/config/password-migration-retention", scopesImportRead, (*Server).getRetention},
	{http.MethodPost, "/config/password-migration-retention", scopesImportManage, (*Server).postRetention},
	{http.MethodDelete, "/config/password-migration-retention", scopesImportManage, (*Server).deleteRetention},
}

const apiRoot = "/customer/{tenant}"

// newMux builds the Customer Service router. Every route authenticates and
// authorises first (the gateway's order); a path the API does not have, or a
// method it does not take there, is answered after authentication too, with
// 404 or 405 and Allow.
func (s *Server) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+apiRoot+rt.path, func(w http.ResponseWriter, r *http.Request) {
			if s.authorize(w, r, rt.scopes) {
				rt.handle(s, w, r)
			}
		})
	}
	mux.HandleFunc(apiRoot+"/", func(w http.ResponseWriter, r *http.Request) {
		if s.authorize(w, r, nil) {
			notRouted(mux, w, r)
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "No such resource.", nil)
	})
	return mux
}

// notRouted answers a request no route took: 405 with Allow when the path has
// routes for other methods, else 404.
func notRouted(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); strings.HasPrefix(pattern, m+" ") {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeError(w, http.StatusNotFound, "not_found", "No such resource.", nil)
		return
	}
	slices.Sort(allow)
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed.", nil)
}
