// Form Post Response Mode: send the answer on to the application at once. Without
// JavaScript the page shows a Continue button instead.
document.forms[0].submit();
