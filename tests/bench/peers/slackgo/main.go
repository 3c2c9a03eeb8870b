// A slack-go Socket Mode app that acks every request and does nothing else:
// the peer of promotebot in tests/bench/side_by_side.sh. The Web API base URL
// comes from SLACK_API_URL (the load generator), the tokens from
// SLACK_APP_TOKEN and SLACK_BOT_TOKEN. Built offline against Debian's
// golang-github-slack-go-slack-dev (GOPATH=/usr/share/gocode, GO111MODULE=off).
package main

import (
	"fmt"
	"os"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func main() {
	api := slack.New(os.Getenv("SLACK_BOT_TOKEN"),
		slack.OptionAppLevelToken(os.Getenv("SLACK_APP_TOKEN")),
		slack.OptionAPIURL(os.Getenv("SLACK_API_URL")))
	client := socketmode.New(api)
	go func() {
		for evt := range client.Events {
			switch evt.Type {
			case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
				client.Ack(*evt.Request)
			case socketmode.EventTypeInvalidAuth, socketmode.EventTypeErrorBadMessage:
				fmt.Fprintf(os.Stderr, "slackgo peer: %v %v\n", evt.Type, evt.Data)
			}
		}
	}()
	if err := client.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "slackgo peer: %v\n", err)
		os.Exit(1)
	}
}
