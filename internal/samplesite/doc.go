// Package samplesite is a sample public-records portal that behaves like a
// legacy ASP.NET WebForms site, for tests and for `quarry dev`.
//
// # Flow
//
// The portal lives under [Config.BasePath] (default "/WellData/"):
//
//   - GET Search.aspx serves the search form (form#aspnetForm) with
//     __VIEWSTATE, __VIEWSTATEGENERATOR and __EVENTVALIDATION, and starts a
//     session (cookie ASP.NET_SessionId).
//   - POST Search.aspx with the button ctl00$Main$btnSearch searches by API
//     number ("42-501-20130") and renders the results grid
//     table#ctl00_Main_gvResults whose "Select" links are
//     __doPostBack('ctl00$Main$gvResults','Select$N') postbacks.
//   - POST Search.aspx with __EVENTTARGET=ctl00$Main$gvResults and
//     __EVENTARGUMENT=Select$N selects a document and answers with a page
//     whose script sets window.location.href to Documents/Landing.aspx.
//   - GET Documents/Landing.aspx shows the document and its download link
//     (a#ctl00_Main_lnkDownload).
//   - GET Documents/Download.aspx streams the PDF, but only within the
//     session that selected it and only once [Config.DownloadDelay] has passed
//     since the Select postback.
//
// # What it refuses, the way real sites do
//
//   - View state is signed with HMAC-SHA256 over the page state, bound to the
//     session (like ViewStateUserKey) and to __VIEWSTATEGENERATOR. Altered or
//     foreign view state gets the 500 "Validation of viewstate MAC failed"
//     error page.
//   - Event validation lists every (control, argument) pair the page
//     rendered, signed together with the view state. An event the page did
//     not render (Select$99, an invented dropdown value) or a __EVENTVALIDATION
//     from another response gets the 500 "Invalid postback or callback
//     argument" page.
//   - A missing, unknown or idle session (older than
//     [Config.SessionIdleTimeout]) on a postback, the landing page or the
//     download is redirected to Search.aspx?expired=1, which says "Your
//     session has expired".
//   - A download asked for too soon gets 429 with Retry-After, or with
//     [TooSoonPage] a 200 "Please wait" HTML page.
//
// # Faults
//
// [Config.Fault] switches on one misbehaviour for tests of the fetch engine:
// HTML served as application/pdf, HTTP and JavaScript redirect loops, a huge
// lazily generated body, a download that never answers, a truncated PDF, a
// CAPTCHA page, 503 with Retry-After, and view state signed with a key the
// next request cannot verify (a web farm without a shared machine key).
package samplesite
