package samplesite

import (
	"html/template"
	"io"
)

// pages holds the parsed HTML templates of the portal.
type pages struct {
	t *template.Template
}

func newPages() (*pages, error) {
	t, err := template.New("pages").Parse(pageTemplates)
	if err != nil {
		return nil, err
	}
	return &pages{t: t}, nil
}

func (p *pages) render(w io.Writer, name string, data any) error {
	return p.t.ExecuteTemplate(w, name, data)
}

// searchPage is the data of the search page.
type searchPage struct {
	Action             string
	ViewState          string
	Generator          string
	EventValidation    string
	Expired            bool
	APINumber          string
	DocTypes           []docTypeOption
	Searched           bool
	Rows               []gridRow
	BasePath           string
	ResultsDescription string
}

type docTypeOption struct {
	Value, Label string
	Selected     bool
}

type gridRow struct {
	// SelectAttr is the whole href attribute, written the way WebForms
	// writes it (quotes as &#39;), which html/template would otherwise
	// percent-encode.
	SelectAttr template.HTMLAttr
	Record     Record
}

// redirectPage is the answer to a Select postback: a script that sends the
// browser on to the landing page.
type redirectPage struct {
	Target string
}

// landingPage shows the selected document and its download link.
type landingPage struct {
	Record       Record
	DownloadHref string
	LoopHref     string
}

// errorPage is the ASP.NET "yellow screen" for an unhandled exception.
type errorPage struct {
	App, Message, Exception, Description string
}

const pageTemplates = `
{{define "head"}}<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" /><title>{{.}} - Well Records Online</title></head>
<body>{{end}}

{{define "search"}}{{template "head" "Well Search"}}
<form method="post" action="{{.Action}}" id="aspnetForm">
<div class="aspNetHidden">
<input type="hidden" name="__EVENTTARGET" id="__EVENTTARGET" value="" />
<input type="hidden" name="__EVENTARGUMENT" id="__EVENTARGUMENT" value="" />
<input type="hidden" name="__LASTFOCUS" id="__LASTFOCUS" value="" />
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="{{.ViewState}}" />
</div>
<script type="text/javascript">
//<![CDATA[
var theForm = document.forms['aspnetForm'];
if (!theForm) { theForm = document.aspnetForm; }
function __doPostBack(eventTarget, eventArgument) {
    if (!theForm.onsubmit || (theForm.onsubmit() != false)) {
        theForm.__EVENTTARGET.value = eventTarget;
        theForm.__EVENTARGUMENT.value = eventArgument;
        theForm.submit();
    }
}
//]]>
</script>
<div class="aspNetHidden">
<input type="hidden" name="__VIEWSTATEGENERATOR" id="__VIEWSTATEGENERATOR" value="{{.Generator}}" />
<input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="{{.EventValidation}}" />
</div>
<h1>Well Records Online</h1>
{{if .Expired}}<div class="alert" id="ctl00_Main_lblExpired">Your session has expired. Please search again.</div>{{end}}
<fieldset>
<label for="ctl00_Main_txtApiNo">API Number</label>
<input name="ctl00$Main$txtApiNo" type="text" value="{{.APINumber}}" maxlength="14" id="ctl00_Main_txtApiNo" />
<label for="ctl00_Main_ddlDocType">Document type</label>
<select name="ctl00$Main$ddlDocType" id="ctl00_Main_ddlDocType">
{{range .DocTypes}}<option {{if .Selected}}selected="selected" {{end}}value="{{.Value}}">{{.Label}}</option>
{{end}}</select>
<input id="ctl00_Main_chkExact" type="checkbox" name="ctl00$Main$chkExact" checked="checked" /><label for="ctl00_Main_chkExact">Exact match</label>
<input name="ctl00$Main$txtNotes" type="text" value="" id="ctl00_Main_txtNotes" disabled="disabled" />
<input type="submit" name="ctl00$Main$btnSearch" value="Search" id="ctl00_Main_btnSearch" />
<input type="submit" name="ctl00$Main$btnReset" value="Clear" id="ctl00_Main_btnReset" />
</fieldset>
{{if .Searched}}<p id="ctl00_Main_lblCount">{{.ResultsDescription}}</p>
<div>
<table class="grid" cellspacing="0" rules="all" border="1" id="ctl00_Main_gvResults" style="border-collapse:collapse;">
<tr><th scope="col">&nbsp;</th><th scope="col">API Number</th><th scope="col">Operator</th><th scope="col">Lease</th><th scope="col">Document</th><th scope="col">Filed</th></tr>
{{range .Rows}}<tr>
<td><a {{.SelectAttr}}>Select</a></td><td>{{.Record.APINumber}}</td><td>{{.Record.Operator}}</td><td>{{.Record.Lease}}</td><td>{{.Record.Document}}</td><td>{{.Record.Filed}}</td>
</tr>
{{else}}<tr><td colspan="6">No records found.</td></tr>
{{end}}</table>
</div>{{end}}
</form>
</body></html>
{{end}}

{{define "redirect"}}{{template "head" "Loading"}}
<p>Loading document&hellip;</p>
<script type="text/javascript">
//<![CDATA[
window.location.href = '{{.Target}}';//]]>
</script>
</body></html>
{{end}}

{{define "landing"}}{{template "head" "Document"}}
{{if .LoopHref}}<script type="text/javascript">
//<![CDATA[
window.location.href = '{{.LoopHref}}';//]]>
</script>{{end}}
<h1>{{.Record.Document}}</h1>
<table id="ctl00_Main_dvDocument">
<tr><td>API Number</td><td>{{.Record.APINumber}}</td></tr>
<tr><td>Operator</td><td>{{.Record.Operator}}</td></tr>
<tr><td>Lease</td><td>{{.Record.Lease}}</td></tr>
<tr><td>Filed</td><td>{{.Record.Filed}}</td></tr>
</table>
<p>Your document is being prepared. <a id="ctl00_Main_lnkDownload" href="{{.DownloadHref}}">Download PDF</a></p>
</body></html>
{{end}}

{{define "nodocument"}}{{template "head" "Document"}}
<p class="alert">No document selected. Please search again.</p>
</body></html>
{{end}}

{{define "wait"}}{{template "head" "Please wait"}}
<p class="alert">Please wait while your document is prepared, then try again.</p>
</body></html>
{{end}}

{{define "captcha"}}{{template "head" "Security check"}}
<h1>Please verify you are a human</h1>
<form method="post" action="/captcha"><div class="g-recaptcha" data-sitekey="6LcSampleSiteKey"></div>
<input type="submit" value="Continue" /></form>
</body></html>
{{end}}

{{define "error"}}<!DOCTYPE html>
<html><head><title>{{.Message}}</title></head>
<body bgcolor="white">
<span><h1>Server Error in '{{.App}}' Application.<hr width=100% size=1 color=silver></h1>
<h2> <i>{{.Message}}</i> </h2></span>
<b> Description: </b>{{.Description}}<br><br>
<b> Exception Details: </b>{{.Exception}}: {{.Message}}<br><br>
</body></html>
{{end}}
`
