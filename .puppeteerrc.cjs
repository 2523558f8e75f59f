// Bianmin uses the system Chromium (apt-get install chromium); never download a browser at install time.
module.exports = { skipDownload: true }
