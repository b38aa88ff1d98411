package main

import (
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/kelseyhightower/envconfig"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "golang.org/x/oauth2/google"
	_ "golang.org/x/oauth2/jwt"
	_ "golang.org/x/time/rate"
	_ "google.golang.org/api/googleapi"
	_ "google.golang.org/api/option"
	_ "google.golang.org/api/sheets/v4"
)

func main() {}
