// 窗口收件: photograph a material with the browser's camera (a document camera, 高拍仪, is a camera to the
// browser). A frame is drawn to a canvas, encoded as JPEG and put into the material's own file input, so it
// is uploaded like any chosen file, through the same upload and the same checks.
(function () {
  "use strict";
  var panel = document.getElementById("camera");
  if (!panel || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof DataTransfer === "undefined") {
    return; // no camera API here: the file inputs still work
  }
  var video = panel.querySelector(".camera-video");
  var status = panel.querySelector(".camera-status");
  var startButton = panel.querySelector('[data-action="camera-start"]');
  var stopButton = panel.querySelector('[data-action="camera-stop"]');
  var deviceLabel = panel.querySelector(".camera-device");
  var devices = panel.querySelector("[data-camera-devices]");
  var captures = document.querySelectorAll('[data-action="camera-capture"]');
  var stream = null;
  panel.hidden = false;

  function say(key) { status.textContent = panel.dataset[key] || ""; }

  function showCaptures(on) {
    captures.forEach(function (button) { button.hidden = !on; });
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
    showCaptures(false);
    panel.dataset.camera = "off";
  }

  function listDevices(current) {
    return navigator.mediaDevices.enumerateDevices().then(function (all) {
      var cameras = all.filter(function (device) { return device.kind === "videoinput"; });
      devices.textContent = "";
      cameras.forEach(function (device, index) {
        var option = document.createElement("option");
        option.value = device.deviceId;
        option.textContent = device.label || ("Camera " + (index + 1));
        option.selected = device.deviceId === current;
        devices.appendChild(option);
      });
      deviceLabel.hidden = cameras.length < 2;
    });
  }

  function start(deviceId) {
    stop();
    var video_ = deviceId ? { deviceId: { exact: deviceId } } : { width: { ideal: 1920 }, height: { ideal: 1080 } };
    return navigator.mediaDevices.getUserMedia({ video: video_, audio: false }).then(function (media) {
      stream = media;
      video.srcObject = media;
      video.hidden = false;
      startButton.hidden = true;
      stopButton.hidden = false;
      showCaptures(true);
      say("msgReady");
      var track = media.getVideoTracks()[0];
      var settings = track && track.getSettings ? track.getSettings() : {};
      return listDevices(settings.deviceId).then(function () { panel.dataset.camera = "on"; });
    }).catch(function (error) {
      say(error && error.name === "NotFoundError" ? "msgNone" : "msgDenied");
      panel.dataset.camera = "failed";
    });
  }

  function capture(button) {
    var form = button.closest("form");
    var input = form.querySelector('input[type="file"]');
    var preview = form.querySelector(".camera-preview");
    if (!stream || !video.videoWidth) { return; }
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(function (blob) {
      if (!blob) { return; }
      var stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
      var file = new File([blob], "photo-" + stamp + ".jpg", { type: "image/jpeg" });
      var files = new DataTransfer();
      files.items.add(file);
      input.files = files.files;
      if (preview.src) { URL.revokeObjectURL(preview.src); }
      preview.src = URL.createObjectURL(blob);
      preview.hidden = false;
      form.dataset.captured = "yes";
      say("msgTaken");
    }, "image/jpeg", 0.9);
  }

  startButton.addEventListener("click", function () { start(""); });
  stopButton.addEventListener("click", stop);
  devices.addEventListener("change", function () { start(devices.value); });
  captures.forEach(function (button) {
    button.addEventListener("click", function () { capture(button); });
  });
  // A file chosen by hand replaces a photo not yet uploaded.
  document.querySelectorAll(".counter-upload input[type=file]").forEach(function (input) {
    input.addEventListener("change", function () {
      var preview = input.form.querySelector(".camera-preview");
      if (preview) { preview.hidden = true; }
      delete input.form.dataset.captured;
    });
  });
  window.addEventListener("pagehide", stop);
})();
